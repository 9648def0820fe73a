// Where a `kv` command's path lives: the preflight request the vault CLI
// makes before every kv operation, and the API paths derived from it.
//
//   GET sys/internal/ui/mounts/<path>  -> data.path ("secret/") and
//                                         data.options.version ("2" = KV v2)
//
// A 404 from the preflight means an old server without that endpoint: KV v1
// at the path as given. For KV v2 the operation's segment goes after the
// mount: "secret/foo" -> "secret/data/foo", "secret/metadata/foo", ...
// With -mount=<m>, the argument is the path inside the mount.
//
// Thread-safety: pure functions plus one request through the caller's client.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "cli/command.h"
#include "coffer/status.h"

namespace coffer::cli {

struct KvMount {
  std::string mount_path;  // with a trailing '/', "" when the server did not say
  bool v2 = false;
};

// The preflight. Errors are the API error of the request (the caller prints
// the message as is and exits 2).
Result<KvMount> KvPreflight(const ApiClient& client, std::string_view path);

// The v2 API path of `path` (which starts with the mount path) for the
// operation segment `api_prefix` ("data", "metadata", "delete", ...).
std::string AddPrefixToKvPath(std::string_view path, std::string_view mount_path,
                              std::string_view api_prefix);

// A kv command's argument resolved against its mount.
struct KvTarget {
  KvMount mount;
  // v2: mount-relative path prefixed by the mount ("secret/foo");
  // v1: the full API path ("kv1/foo").
  std::string path;

  bool v2() const { return mount.v2; }
  // The API path for the operation: v2 AddPrefixToKvPath(path, mount,
  // api_prefix); v1 the path itself.
  std::string ApiPath(std::string_view api_prefix) const;
};

// Runs the preflight for `arg` (or for `mount_flag` when it is set, with
// `arg` inside that mount) and resolves the path.
Result<KvTarget> ResolveKvTarget(const ApiClient& client, std::string_view arg,
                                 std::string_view mount_flag);

// The set-up every kv command shares after flag parsing: the API client and
// the resolved target. On failure the error is printed (client errors exit 1,
// preflight errors exit 2 with the API error as is) and failed() holds the
// exit code.
class KvSession {
 public:
  KvSession(Invocation& inv, std::string_view arg, std::string_view mount_flag);

  std::optional<int> failed() const { return failed_; }
  // REQUIRES: !failed().
  const ApiClient& client() const { return *client_; }
  const KvTarget& target() const { return target_; }

 private:
  std::optional<ApiClient> client_;
  KvTarget target_;
  std::optional<int> failed_;
};

// "== <title> ==\n<path>\n\n": the heading the kv commands print above a path.
std::string PathSection(std::string_view title, std::string_view path);

}  // namespace coffer::cli
