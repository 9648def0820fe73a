#include "cli/kv_mount.h"

#include <ostream>

#include "cli/output.h"
#include "cli/path_util.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"

namespace coffer::cli {

Result<KvMount> KvPreflight(const ApiClient& client, std::string_view path) {
  std::string target = "sys/internal/ui/mounts/" + EscapePath(path);
  ASSIGN_OR_RETURN(ApiResponse resp, client.Send("GET", target));
  if (resp.status == 404) return KvMount{};
  if (resp.status >= 400) {
    return Status(CodeForHttpStatus(resp.status),
                  FormatApiError("GET", client.Url(target), resp.status, resp.raw_body));
  }
  if (!resp.body.is_object()) {
    return Internal("nil response from pre-flight request");
  }
  const Json& data = DataOf(resp.body);
  KvMount mount;
  mount.mount_path = StringField(data, "path");
  if (data.is_object() && data.contains("options") && data["options"].is_object()) {
    mount.v2 = StringField(data["options"], "version") == "2";
  }
  return mount;
}

std::string AddPrefixToKvPath(std::string_view path, std::string_view mount_path,
                              std::string_view api_prefix) {
  std::string_view mount_trimmed = mount_path;
  if (!mount_trimmed.empty() && mount_trimmed.back() == '/') mount_trimmed.remove_suffix(1);
  if (path == mount_path || path == mount_trimmed) return JoinPath({mount_path, api_prefix});
  // Drop leading segments of the mount path that the user's path does not
  // start with (a mount path may carry a namespace the path omits).
  std::string_view mount = mount_path;
  std::string_view suffix = path;
  while (true) {
    if (!mount.empty() && path.substr(0, mount.size()) == mount) {
      suffix = path.substr(mount.size());
      break;
    }
    size_t slash = mount.find('/');
    if (slash == std::string_view::npos) {
      mount = {};
      break;
    }
    mount = mount.substr(slash + 1);
    if (mount.empty()) break;
  }
  return JoinPath({mount, api_prefix, suffix});
}

std::string KvTarget::ApiPath(std::string_view api_prefix) const {
  if (!mount.v2) return path;
  return AddPrefixToKvPath(path, mount.mount_path, api_prefix);
}

Result<KvTarget> ResolveKvTarget(const ApiClient& client, std::string_view arg,
                                 std::string_view mount_flag) {
  KvTarget target;
  std::string partial = SanitizePath(arg);
  if (!mount_flag.empty()) {
    std::string mount = SanitizePath(mount_flag);
    ASSIGN_OR_RETURN(target.mount, KvPreflight(client, mount));
    // An old server (preflight 404) names no mount: use the flag's.
    if (target.mount.mount_path.empty()) target.mount.mount_path = EnsureTrailingSlash(mount);
    target.path = JoinPath({target.mount.mount_path, partial});
    return target;
  }
  ASSIGN_OR_RETURN(target.mount, KvPreflight(client, partial));
  target.path = partial;
  return target;
}

KvSession::KvSession(Invocation& inv, std::string_view arg, std::string_view mount_flag) {
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) {
    failed_ = inv.Fail("Error creating the API client", client.status(), kExitLocalError);
    return;
  }
  client_.emplace(std::move(client).value());
  Result<KvTarget> target = ResolveKvTarget(*client_, arg, mount_flag);
  if (!target.ok()) {
    inv.err() << target.status().message() << "\n";
    failed_ = kExitRemoteError;
    return;
  }
  target_ = std::move(target).value();
}

std::string PathSection(std::string_view title, std::string_view path) {
  return PadEqualSigns(title, path.size()) + "\n" + std::string(path) + "\n\n";
}

}  // namespace coffer::cli
