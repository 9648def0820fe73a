// `coffer kv delete`, `kv undelete`, `kv destroy` and `kv enable-versioning`.
//
//   delete             v2: DELETE <mount>data/<key> (the current version), or
//                      with -versions PUT <mount>delete/<key> {"versions":[..]}
//                      v1: DELETE <key>
//   undelete, destroy  v2 only: PUT <mount>undelete|destroy/<key> {"versions"}
//   enable-versioning  POST sys/mounts/<mount>/tune {"options":{"version":"2"}}
#include <ostream>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/kv_mount.h"
#include "cli/path_util.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kDeleteUsage[] =
    "Usage: coffer kv delete [options] KEY\n"
    "\n"
    "  Deletes a key. On KV v2 this is a soft delete of the current version (or of\n"
    "  the -versions given) that \"kv undelete\" reverses; KV v1 removes the key.\n";

constexpr char kUndeleteUsage[] =
    "Usage: coffer kv undelete [options] -versions=N[,M...] KEY\n"
    "\n"
    "  Restores soft-deleted versions of a KV v2 key.\n";

constexpr char kDestroyUsage[] =
    "Usage: coffer kv destroy [options] -versions=N[,M...] KEY\n"
    "\n"
    "  Permanently removes the data of versions of a KV v2 key. Cannot be undone.\n";

constexpr char kEnableVersioningUsage[] =
    "Usage: coffer kv enable-versioning [options] MOUNT\n"
    "\n"
    "  Upgrades a KV version 1 mount to version 2, keeping its data.\n";

// undelete and destroy differ only in the operation segment and wording.
int VersionOperation(CommandContext& ctx, const std::vector<std::string>& args, const char* usage,
                     const char* segment, const char* verb, const char* title) {
  Invocation inv(ctx, usage);
  std::string mount;
  std::vector<std::string> versions;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().StringList("versions", &versions,
                         "Versions to act on, comma-separated or repeated (required).");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::vector<std::string> list = SplitCommaList(versions);
  if (list.empty()) {
    inv.err() << "No versions provided, use the \"-versions\" flag to specify the version to "
              << verb << ".\n";
    return kExitLocalError;
  }
  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  if (!kv.target().v2()) {
    inv.err() << title << " not supported on KV Version 1\n";
    return kExitLocalError;
  }
  std::string path = kv.target().ApiPath(segment);
  Result<std::optional<Json>> written =
      kv.client().Write("PUT", EscapePath(path), Json{{"versions", list}});
  if (!written.ok()) return inv.Fail("Error writing data to " + path, written.status());
  if (!written->has_value()) {
    if (inv.format() == OutputFormat::kTable) {
      inv.out() << "Success! Data written to: " << path << "\n";
    }
    return kExitOk;
  }
  return OutputSecret(inv, **written);
}

}  // namespace

int RunKvDelete(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDeleteUsage);
  std::string mount;
  std::vector<std::string> versions;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().StringList("versions", &versions,
                         "KV v2 versions to delete, comma-separated or repeated.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  std::string path = kv.target().ApiPath("data");
  std::vector<std::string> list = SplitCommaList(versions);
  Result<std::optional<Json>> result =
      kv.target().v2() && !list.empty()
          ? kv.client().Write("PUT", EscapePath(kv.target().ApiPath("delete")),
                              Json{{"versions", list}})
          : kv.client().Write("DELETE", EscapePath(path));
  if (!result.ok()) return inv.Fail("Error deleting " + path, result.status());
  if (!result->has_value()) {
    if (inv.format() == OutputFormat::kTable) {
      inv.out() << "Success! Data deleted (if it existed) at: " << path << "\n";
    }
    return kExitOk;
  }
  return OutputSecret(inv, **result);
}

int RunKvUndelete(CommandContext& ctx, const std::vector<std::string>& args) {
  return VersionOperation(ctx, args, kUndeleteUsage, "undelete", "undelete", "Undelete");
}

int RunKvDestroy(CommandContext& ctx, const std::vector<std::string>& args) {
  return VersionOperation(ctx, args, kDestroyUsage, "destroy", "destroy", "Destroy");
}

int RunKvEnableVersioning(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kEnableVersioningUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string mount = SanitizePath(inv.positional()[0]);
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> tuned = client->Write(
      "POST", "sys/mounts/" + EscapePath(mount) + "/tune", Json{{"options", {{"version", "2"}}}});
  std::string shown = EnsureTrailingSlash(mount);
  if (!tuned.ok()) return inv.Fail("Error tuning secrets engine " + shown, tuned.status());
  if (tuned->has_value()) inv.err() << FormatWarnings(**tuned);
  inv.out() << "Success! Tuned the secrets engine at: " << shown << "\n";
  return kExitOk;
}

}  // namespace coffer::cli
