// `coffer auth enable|disable|list|tune` over sys/auth and
// sys/mounts/auth/<path>/tune.
#include <ostream>

#include "cli/commands.h"
#include "cli/mount_view.h"
#include "cli/output.h"
#include "cli/path_util.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kEnableUsage[] =
    "Usage: coffer auth enable [options] TYPE\n"
    "\n"
    "  Enables an auth method of TYPE (userpass, approle) at -path (default: TYPE).\n"
    "\n"
    "      $ coffer auth enable userpass\n";

constexpr char kDisableUsage[] =
    "Usage: coffer auth disable [options] PATH\n"
    "\n"
    "  Disables the auth method at PATH; every token it issued is revoked.\n";

constexpr char kListUsage[] =
    "Usage: coffer auth list [options]\n"
    "\n"
    "  Lists the enabled auth methods; -detailed adds TTLs, options and more.\n";

constexpr char kTuneUsage[] =
    "Usage: coffer auth tune [options] PATH\n"
    "\n"
    "  Changes settings of the auth method at PATH; settings not given stay.\n";

}  // namespace

int RunAuthEnable(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kEnableUsage);
  MountFlags mf;
  std::string path;
  bool local = false, seal_wrap = false, entropy = false;
  inv.flags().String("path", &path, "Where to enable the method (default: its type).");
  mf.Register(&inv.flags(), MountKind::kAuth, /*tune=*/false);
  inv.flags().Bool("local", &local, "Do not replicate the mount (accepted; single cluster).");
  inv.flags().Bool("seal-wrap", &seal_wrap, "Seal-wrap the mount's data (accepted).");
  inv.flags().Bool("external-entropy-access", &entropy, "Give access to external entropy.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string type = inv.positional()[0];
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
      client->Write("POST", "sys/auth/" + EscapePath(SanitizePath(mount)), body);
  if (!done.ok()) return inv.Fail("Error enabling " + type + " auth", done.status());
  if (done->has_value()) inv.err() << FormatWarnings(**done);
  inv.out() << "Success! Enabled " << type << " auth method at: " << mount << "\n";
  return kExitOk;
}

int RunAuthDisable(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDisableUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string mount = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("DELETE", "sys/auth/" + EscapePath(SanitizePath(mount)));
  if (!done.ok()) return inv.Fail("Error disabling auth method at " + mount, done.status());
  inv.out() << "Success! Disabled the auth method (if it existed) at: " << mount << "\n";
  return kExitOk;
}

int RunAuthList(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kListUsage);
  bool detailed = false;
  inv.flags().Bool("detailed", &detailed, "Show all mount settings.");
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  return PrintMountList(inv, "sys/auth", MountKind::kAuth, detailed, "Error listing enabled authentications");
}

int RunAuthTune(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kTuneUsage);
  MountFlags mf;
  mf.Register(&inv.flags(), MountKind::kAuth, /*tune=*/true);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string mount = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  Result<Json> body = mf.TuneBody(inv.flags());
  if (!body.ok()) return inv.UsageError(body.status().message());
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("POST", "sys/mounts/auth/" + EscapePath(SanitizePath(mount)) + "/tune", *body);
  if (!done.ok()) return inv.Fail("Error tuning auth method " + mount, done.status());
  if (done->has_value()) inv.err() << FormatWarnings(**done);
  inv.out() << "Success! Tuned the auth method at: " << mount << "\n";
  return kExitOk;
}

}  // namespace coffer::cli
