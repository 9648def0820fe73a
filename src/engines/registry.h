// registry: the one place that maps a secrets engine type to its factory.
//
//   "kv"        options.version absent, "" or "1" -> KV v1; "2" -> KV v2;
//               anything else is InvalidArgument
//   "kv-v2"     KV v2 (options.version is ignored)
//   "generic"   KV v1 (the legacy name)
//   "cubbyhole" per-token store
//   "database"  dynamic database credentials (PostgreSQL), engines/database.h
// An unknown type is InvalidArgument "plugin not found in the catalog: <type>".
//
// Thread-safety: pure functions; each call builds a new engine.
#pragma once

#include <string>
#include <vector>

#include "coffer/engine.h"
#include "coffer/status.h"

namespace coffer::engines {

Result<EnginePtr> NewSecretsEngine(const MountEntry& mount);

bool IsKnownSecretsEngine(const std::string& type);

// The KV version a mount entry asks for: 1 or 2, or InvalidArgument for a
// version the engine does not have. REQUIRES nothing of mount.type.
Result<int> KvVersion(const MountEntry& mount);

// Prefixes, relative to the mount's storage view, of records the mount's
// engine reads on every request and that hold no secret data (so their
// decryption may be remembered): kv v2's metadata ("kv2/meta/") and its
// mount configuration ("kv2/config", read by every write). Empty for
// every other engine, and for an entry whose engine cannot be built.
std::vector<std::string> NonSecretHotPrefixes(const MountEntry& mount);
// Drops what the engines keep decoded from storage between requests (the
// records of NonSecretHotPrefixes); the core calls it when it seals.
void ForgetDecodedRecords();

}  // namespace coffer::engines
