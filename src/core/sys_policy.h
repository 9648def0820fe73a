// The sys/ paths for policies and capabilities, as framework paths relative
// to the sys mount ("policy/:name" serves sys/policy/:name):
//
//   policy, policy/            read/list: {keys, policies} (legacy family)
//   policy/:name               read {name, rules}; write {policy | rules}; delete
//   policies/acl/              list: {keys}
//   policies/acl/:name         read {name, policy}; write {policy}; delete
//   capabilities               write {token, paths | path}
//   capabilities-self          write {paths | path}: the caller's own
//   capabilities-accessor      write {accessor, paths | path}
//
// Capabilities answer data {"<path>": [caps], ...} plus "capabilities" when
// exactly one path was asked. Copying data to the top level of the response
// for the legacy routes is the HTTP layer's job.
//
// Thread-safety: the handlers keep no state of their own; they call the
// PolicyStore and TokenStore, which are thread-safe, and may run
// concurrently. Both stores must outlive the returned paths.
#pragma once

#include <vector>

#include "core/policy_store.h"
#include "core/token_store.h"
#include "engines/framework.h"

namespace coffer::core {

std::vector<framework::Path> SysPolicyPaths(PolicyStore& policies, TokenStore& tokens);

}  // namespace coffer::core
