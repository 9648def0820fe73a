// The registry of auth methods: one line per method type, name -> factory.
// The token method ("token") is not here: the core's token store serves it.
//
// Thread-safety: NewAuthMethod may be called from any thread; each call
// builds an independent engine.
// Invariant: an unknown type is InvalidArgument "plugin not found in the
// catalog: <type>" (the secrets engine registry's wording), never a crash.
#pragma once

#include <string>

#include "coffer/engine.h"

namespace coffer::auth {

// A new engine for an auth mount of type mount.type ("userpass", "approle").
Result<EnginePtr> NewAuthMethod(const MountEntry& mount);

bool IsKnownAuthMethod(const std::string& type);

}  // namespace coffer::auth
