// sys/replication/*: the core's part of the replication endpoints. Every one
// is served by the replication module through ReplicationHooks::handle_sys;
// without it installed the node is a standalone cluster, and the status
// endpoints say so in Vault's "disabled" shape.
//
//   GET sys/replication/status               unauthenticated (sys route table)
//   GET sys/replication/performance/status   unauthenticated
//   GET sys/replication/dr/status            unauthenticated
//   *   sys/replication/...                  token + ACL (sys engine path)
//
// On a DR secondary (ReplicationHooks::dr_secondary) the core serves
// sys/replication/dr/secondary/* without a token (the replication module
// checks the DR operation token) and refuses everything else but the status,
// health and seal routes with DrSecondaryPathDisabled().
#pragma once

#include <vector>

#include "coffer/logical.h"
#include "coffer/status.h"
#include "engines/framework.h"

namespace coffer::core {

class Core;
struct TokenEntry;

// The paths a DR secondary hands to the replication module without a token.
inline constexpr char kDrSecondaryOperationPrefix[] = "sys/replication/dr/secondary/";

// 400 "path disabled in replication DR secondary mode", Vault's answer.
Status DrSecondaryPathDisabled();

// The three unauthenticated status routes (any seal state; no token).
Result<Response> HandleReplicationStatus(Core& core, const Request& req, const TokenEntry*);

// Every other sys/replication/ path, relative to the sys/ mount.
std::vector<framework::Path> SysReplicationPaths(Core& core);

}  // namespace coffer::core
