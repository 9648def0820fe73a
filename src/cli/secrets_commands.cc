// `coffer secrets enable|disable|list|tune|move` over sys/mounts and
// sys/remount.
//
//   enable   POST sys/mounts/<path> {type, description, config, local,
//            seal_wrap, external_entropy_access, options}
//   disable  DELETE sys/mounts/<path>
//   list     GET sys/mounts
//   tune     POST sys/mounts/<path>/tune (only the settings given)
//   move     POST sys/remount {from, to}, then GET sys/remount/status/<id>
//            until the migration succeeds or fails
#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include "cli/commands.h"
#include "cli/mount_view.h"
#include "cli/output.h"
#include "cli/path_util.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kEnableUsage[] =
    "Usage: coffer secrets enable [options] TYPE\n"
    "\n"
    "  Mounts a secrets engine of TYPE (kv, kv-v2, ...) at -path (default: TYPE).\n"
    "\n"
    "      $ coffer secrets enable -path=kv1 kv\n"
    "      $ coffer secrets enable -version=2 -path=apps kv\n";

constexpr char kDisableUsage[] =
    "Usage: coffer secrets disable [options] PATH\n"
    "\n"
    "  Unmounts the secrets engine at PATH. All of its data and leases are deleted.\n";

constexpr char kListUsage[] =
    "Usage: coffer secrets list [options]\n"
    "\n"
    "  Lists the mounted secrets engines; -detailed adds TTLs, options and more.\n";

constexpr char kTuneUsage[] =
    "Usage: coffer secrets tune [options] PATH\n"
    "\n"
    "  Changes settings of the secrets engine at PATH; settings not given stay.\n";

constexpr char kMoveUsage[] =
    "Usage: coffer secrets move [options] SOURCE DESTINATION\n"
    "\n"
    "  Moves a secrets engine to a new path, with its data. Leases issued under the\n"
    "  old path are revoked.\n";

// Polling budget for secrets move: short waits first, then once a second.
constexpr std::chrono::milliseconds kFirstPoll{100};
constexpr std::chrono::milliseconds kMaxPoll{1000};
constexpr std::chrono::milliseconds kMoveTimeout{5 * 60 * 1000};

void Sleep(CommandContext& ctx, std::chrono::milliseconds d) {
  if (ctx.sleep) {
    ctx.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

// migration_id of a remount reply ("" for an old, synchronous server).
std::string MigrationId(const Json& reply) {
  std::string id = StringField(DataOf(reply), "migration_id");
  return id.empty() ? StringField(reply, "migration_id") : id;
}

std::string MigrationStatus(const Json& reply) {
  const Json* info = &Member(DataOf(reply), "migration_info");
  if (!info->is_object()) info = &Member(reply, "migration_info");
  return StringField(*info, "status");
}

}  // namespace

int RunSecretsEnable(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kEnableUsage);
  MountFlags mf;
  std::string path;
  bool local = false, seal_wrap = false, entropy = false;
  inv.flags().String("path", &path, "Where to mount the engine (default: its type).");
  mf.Register(&inv.flags(), MountKind::kSecrets, /*tune=*/false);
  inv.flags().Bool("local", &local, "Do not replicate the mount (accepted; single cluster).");
  inv.flags().Bool("seal-wrap", &seal_wrap, "Seal-wrap the mount's data (accepted).");
  inv.flags().Bool("external-entropy-access", &entropy, "Give access to external entropy.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string type = inv.positional()[0];
  if (size_t b = type.find_first_not_of(" \t"); b != std::string::npos) {
    type = type.substr(b, type.find_last_not_of(" \t") - b + 1);
  }
  std::string mount = EnsureTrailingSlash(SanitizePath(path.empty() ? type : path));
  Result<Json> config = mf.Config(inv.flags());
  if (!config.ok()) return inv.UsageError(config.status().message());
  Result<std::optional<Json>> options = mf.Options(inv.flags());
  if (!options.ok()) return inv.UsageError(options.status().message());
  Json body = {{"type", type},
               {"description", mf.description},
               {"config", *config},
               {"local", local},
               {"seal_wrap", seal_wrap},
               {"external_entropy_access", entropy},
               {"options", options->value_or(nullptr)}};
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("POST", "sys/mounts/" + EscapePath(SanitizePath(mount)), body);
  if (!done.ok()) return inv.Fail("Error enabling", done.status());
  if (done->has_value()) inv.err() << FormatWarnings(**done);
  inv.out() << "Success! Enabled the " << type << " secrets engine at: " << mount << "\n";
  return kExitOk;
}

int RunSecretsDisable(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDisableUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string mount = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("DELETE", "sys/mounts/" + EscapePath(SanitizePath(mount)));
  if (!done.ok()) return inv.Fail("Error disabling secrets engine at " + mount, done.status());
  inv.out() << "Success! Disabled the secrets engine (if it existed) at: " << mount << "\n";
  return kExitOk;
}

int RunSecretsList(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kListUsage);
  bool detailed = false;
  inv.flags().Bool("detailed", &detailed, "Show all mount settings.");
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  return PrintMountList(inv, "sys/mounts", MountKind::kSecrets, detailed, "Error listing secrets engines");
}

int RunSecretsTune(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kTuneUsage);
  MountFlags mf;
  mf.Register(&inv.flags(), MountKind::kSecrets, /*tune=*/true);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string mount = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  Result<Json> body = mf.TuneBody(inv.flags());
  if (!body.ok()) return inv.UsageError(body.status().message());
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("POST", "sys/mounts/" + EscapePath(SanitizePath(mount)) + "/tune", *body);
  if (!done.ok()) return inv.Fail("Error tuning secrets engine " + mount, done.status());
  if (done->has_value()) inv.err() << FormatWarnings(**done);
  inv.out() << "Success! Tuned the secrets engine at: " << mount << "\n";
  return kExitOk;
}

int RunSecretsMove(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kMoveUsage);
  if (auto exit = inv.Parse(args, 2, 2)) return *exit;
  std::string from = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  std::string to = EnsureTrailingSlash(SanitizePath(inv.positional()[1]));
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> started =
      client->Write("POST", "sys/remount", Json{{"from", from}, {"to", to}});
  std::string what = "secrets engine " + from + " to " + to;
  if (!started.ok()) return inv.Fail("Error moving " + what, started.status());
  std::string id = started->has_value() ? MigrationId(**started) : "";
  if (id.empty()) {  // a server that moves synchronously
    inv.out() << "Success! Finished moving " << what << "\n";
    return kExitOk;
  }
  inv.out() << "Started moving " << what << ", with migration ID " << id << "\n";
  std::chrono::milliseconds waited{0};
  std::chrono::milliseconds interval = kFirstPoll;
  for (;;) {
    Result<Json> status = client->Call("GET", "sys/remount/status/" + EscapePath(id));
    if (!status.ok()) {
      return inv.Fail("Error checking migration status of " + what, status.status());
    }
    std::string state = MigrationStatus(*status);
    if (state == "success") {
      inv.out() << "Success! Finished moving " << what << ", with migration ID " << id << "\n";
      return kExitOk;
    }
    if (state == "failure") {
      inv.err() << "Failure! Error encountered moving " << what << ", with migration ID " << id
                << "\n";
      return kExitRemoteError;
    }
    if (waited >= kMoveTimeout) {
      inv.err() << "Timed out waiting for migration " << id << " to complete\n";
      return kExitRemoteError;
    }
    Sleep(ctx, interval);
    waited += interval;
    interval = std::min(interval * 2, kMaxPoll);
  }
}

}  // namespace coffer::cli
