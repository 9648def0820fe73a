// What `secrets` and `auth` commands share: the mount tables they print and
// the mount settings flags they send.
//
//   secrets list   Path | Type | Accessor | Description
//   auth list      Path | Type | Accessor | Description | Version
//   -detailed      Path | Plugin | Accessor | Default TTL | Max TTL | ...
//
// Thread-safety: pure functions; MountFlags lives on one command's stack.
#pragma once

#include "cli/command.h"

#include <optional>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::cli {

enum class MountKind { kSecrets, kAuth };

// The path -> mount info map of a GET sys/mounts or sys/auth reply (its
// "data", or the top level of an old-style reply), objects only.
Json MountsOf(const Json& reply);

// The table rows (heading first) for FormatColumns, sorted by path.
std::vector<std::vector<std::string>> MountRows(const Json& mounts, MountKind kind, bool detailed);

// The mount settings flags. Register() adds the ones `kind` and the command
// (enable or tune) accept; Config()/Options() build the request parts from
// what was given.
struct MountFlags {
  std::string description;
  std::string default_lease_ttl;
  std::string max_lease_ttl;
  std::string listing_visibility;
  std::string token_type;
  std::vector<std::string> options;
  int version = 0;
  bool force_no_cache = false;

  void Register(FlagSet* flags, MountKind kind, bool tune);

  // Duration flags as Go duration text ("system" passes through); a bad
  // duration is InvalidArgument naming the flag. Only flags that were set.
  Result<Json> Config(const FlagSet& flags) const;
  // -options k=v plus -version; nullopt when neither was given.
  Result<std::optional<Json>> Options(const FlagSet& flags) const;
  // The body of a tune request: Config plus options and description when set.
  Result<Json> TuneBody(const FlagSet& flags) const;
};

// `secrets list` / `auth list`: GET `api_path` and print the mounts as a
// table (or JSON). Returns the exit code.
int PrintMountList(Invocation& inv, const std::string& api_path, MountKind kind, bool detailed,
                   const std::string& error_prefix);

}  // namespace coffer::cli
