// coffer audit enable|list|disable: the sys/audit API, as the vault CLI shows it.
#include <algorithm>
#include <map>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/output.h"
#include "cli/path_util.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kEnableUsage[] = R"(Usage: coffer audit enable [options] TYPE [CONFIG K=V...]

  Enables an audit device at a path (default: its type). Every request and
  response is logged to it, with secrets HMAC-SHA256'd. When no enabled device
  can log a request, the request fails.

      $ coffer audit enable file file_path=/var/log/coffer_audit.log
      $ coffer audit enable -path=stdout-audit file file_path=stdout
)";

constexpr char kListUsage[] = R"(Usage: coffer audit list [options]

  Lists the enabled audit devices.

      $ coffer audit list -detailed
)";

constexpr char kDisableUsage[] = R"(Usage: coffer audit disable [options] PATH

  Disables the audit device at PATH. Its log file stays where it is.

      $ coffer audit disable file/
)";

// Go's fmt of a map[string]string: "map[k1:v1 k2:v2]" with sorted keys.
std::string GoMap(const Json& options) {
  std::map<std::string, std::string> sorted;
  if (options.is_object()) {
    for (const auto& [k, v] : options.items()) {
      sorted[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  std::string out = "map[";
  bool first = true;
  for (const auto& [k, v] : sorted) {
    if (!first) out += ' ';
    first = false;
    out += k + ":" + v;
  }
  return out + "]";
}

}  // namespace

int RunAuditEnable(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kEnableUsage);
  std::string description, path;
  bool local = false;
  inv.flags().String("description", &description, "Human-friendly description of the device.");
  inv.flags().String("path", &path, "Where to enable the device (default: its type).");
  inv.flags().Bool("local", &local, "Do not replicate the device to performance secondaries.");
  if (auto exit = inv.Parse(args, 1, static_cast<size_t>(-1))) return *exit;
  const std::string type = inv.positional()[0];
  std::vector<std::string> kv(inv.positional().begin() + 1, inv.positional().end());
  Result<std::map<std::string, std::string>> options = ParseKeyValueFlag(kv, "options");
  if (!options.ok()) return inv.UsageError(options.status().message());
  const std::string at = EnsureTrailingSlash(SanitizePath(path.empty() ? type : path));
  Json body = {{"type", type}, {"description", description}, {"local", local},
               {"options", Json(*options)}};
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("PUT", "sys/audit/" + EscapePath(SanitizePath(at)), body);
  if (!done.ok()) return inv.Fail("Error enabling audit device", done.status());
  if (done->has_value()) inv.err() << FormatWarnings(**done);
  inv.out() << "Success! Enabled the " << type << " audit device at: " << at << "\n";
  return kExitOk;
}

int RunAuditList(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kListUsage);
  bool detailed = false;
  inv.flags().Bool("detailed", &detailed, "Show replication and options of each device.");
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> reply = client->Call("GET", "sys/audit");
  if (!reply.ok()) return inv.Fail("Error listing audits", reply.status());
  Json devices = reply->contains("data") && (*reply)["data"].is_object() ? (*reply)["data"]
                                                                         : Json::object();
  if (inv.format() == OutputFormat::kJson) return OutputData(inv, devices);
  if (devices.empty()) {
    inv.out() << "No audit devices are enabled.\n";
    return kExitRemoteError;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back(detailed ? std::vector<std::string>{"Path", "Type", "Description",
                                                     "Replication", "Options"}
                          : std::vector<std::string>{"Path", "Type", "Description"});
  for (const auto& [p, d] : devices.items()) {
    if (!d.is_object()) continue;
    std::vector<std::string> row = {p, d.value("type", ""), d.value("description", "")};
    if (detailed) {
      row.push_back(d.value("local", false) ? "local" : "replicated");
      row.push_back(GoMap(d.value("options", Json::object())));
    }
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin() + 1, rows.end());
  inv.out() << FormatColumns(rows);
  return kExitOk;
}

int RunAuditDisable(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDisableUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  const std::string at = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("DELETE", "sys/audit/" + EscapePath(SanitizePath(at)));
  if (!done.ok()) return inv.Fail("Error disabling audit device", done.status());
  inv.out() << "Success! Disabled audit device (if it was enabled) at: " << at << "\n";
  return kExitOk;
}

}  // namespace coffer::cli
