// The generic path commands: `read`, `write`, `list`, `delete`, `patch`.
// Each sends one request to /v1/<path> (GET, PUT, GET ?list=true, DELETE,
// PATCH) and shows the response as a secret (secret_view.h).
#include <ostream>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/path_util.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr size_t kAny = static_cast<size_t>(-1);

constexpr char kReadUsage[] =
    "Usage: coffer read [options] PATH [K=V...]\n"
    "\n"
    "  Reads the data at PATH (GET /v1/PATH). K=V arguments become query parameters.\n"
    "  Prints \"No value found at PATH\" and exits 2 when there is nothing there.\n";

constexpr char kWriteUsage[] =
    "Usage: coffer write [options] PATH [K=V...]\n"
    "\n"
    "  Writes data to PATH (PUT /v1/PATH). Values: K=V, K=@file (the file's\n"
    "  contents), K=- (stdin); a lone \"-\" reads a JSON object from stdin.\n";

constexpr char kListUsage[] =
    "Usage: coffer list [options] PATH\n"
    "\n"
    "  Lists the keys under PATH (GET /v1/PATH/?list=true). Names ending in \"/\"\n"
    "  have keys below them.\n";

constexpr char kDeleteUsage[] =
    "Usage: coffer delete [options] PATH [K=V...]\n"
    "\n"
    "  Deletes the data at PATH (DELETE /v1/PATH); K=V become query parameters.\n";

constexpr char kPatchUsage[] =
    "Usage: coffer patch [options] PATH [K=V...]\n"
    "\n"
    "  Merges data into PATH (PATCH /v1/PATH, a JSON merge patch); values as for\n"
    "  \"coffer write\".\n";

std::string WithQuery(const std::string& path,
                      const std::map<std::string, std::vector<std::string>>& query) {
  std::string q = QueryString(query);
  return EscapePath(path) + (q.empty() ? "" : "?" + q);
}

// Shared by write and patch.
int WriteLike(CommandContext& ctx, const std::vector<std::string>& args, const char* usage,
              const char* method) {
  Invocation inv(ctx, usage);
  bool force = false;
  std::string field;
  inv.flags().Bool("force", &force, "Send the request even without data (alias -f).");
  inv.flags().Bool("f", &force, "Alias of -force.");
  inv.flags().String("field", &field, "Print only this field of the response, raw.");
  if (auto exit = inv.Parse(args, 1, kAny)) return *exit;
  std::string path = SanitizePath(inv.positional()[0]);
  std::vector<std::string> kv(inv.positional().begin() + 1, inv.positional().end());
  Result<Json> data = ParseKeyValueArgs(kv, ctx.read_stdin);
  if (!data.ok()) return inv.Fail("Failed to parse K=V data", data.status(), kExitLocalError);
  if (data->empty() && !force) {
    inv.err() << "Must supply data or use -force\n";
    return kExitLocalError;
  }
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> secret = client->Write(method, EscapePath(path), *data);
  if (!secret.ok()) return inv.Fail("Error writing data to " + path, secret.status());
  if (!secret->has_value()) {
    if (inv.format() == OutputFormat::kTable) {
      inv.out() << "Success! Data written to: " << path << "\n";
    }
    return kExitOk;
  }
  if (!field.empty()) return OutputField(inv, SecretField(**secret, field), field);
  return OutputSecret(inv, **secret);
}

}  // namespace

int RunRead(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kReadUsage);
  std::string field;
  inv.flags().String("field", &field, "Print only this field of the response, raw.");
  if (auto exit = inv.Parse(args, 1, kAny)) return *exit;
  std::string path = SanitizePath(inv.positional()[0]);
  std::vector<std::string> kv(inv.positional().begin() + 1, inv.positional().end());
  auto query = ParseQueryArgs(kv, ctx.read_stdin);
  if (!query.ok()) return inv.Fail("Failed to parse K=V data", query.status(), kExitLocalError);
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> secret = client->Read(WithQuery(path, *query));
  if (!secret.ok()) return inv.Fail("Error reading " + path, secret.status());
  if (!secret->has_value()) {
    inv.err() << "No value found at " << path << "\n";
    return kExitRemoteError;
  }
  if (!field.empty()) return OutputField(inv, SecretField(**secret, field), field);
  return OutputSecret(inv, **secret);
}

int RunWrite(CommandContext& ctx, const std::vector<std::string>& args) {
  return WriteLike(ctx, args, kWriteUsage, "PUT");
}

int RunPatch(CommandContext& ctx, const std::vector<std::string>& args) {
  return WriteLike(ctx, args, kPatchUsage, "PATCH");
}

int RunList(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kListUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string path = EnsureTrailingSlash(SanitizePath(inv.positional()[0]));
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> secret = client->Read(EscapePath(path) + "?list=true");
  if (!secret.ok()) return inv.Fail("Error listing " + path, secret.status());
  return PrintListResult(inv, *secret, path);
}

int RunDelete(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDeleteUsage);
  if (auto exit = inv.Parse(args, 1, kAny)) return *exit;
  std::string path = SanitizePath(inv.positional()[0]);
  std::vector<std::string> kv(inv.positional().begin() + 1, inv.positional().end());
  auto query = ParseQueryArgs(kv, ctx.read_stdin);
  if (!query.ok()) return inv.Fail("Failed to parse K=V data", query.status(), kExitLocalError);
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> secret = client->Write("DELETE", WithQuery(path, *query));
  if (!secret.ok()) return inv.Fail("Error deleting " + path, secret.status());
  if (!secret->has_value()) {
    if (inv.format() == OutputFormat::kTable) {
      inv.out() << "Success! Data deleted (if it existed) at: " << path << "\n";
    }
    return kExitOk;
  }
  return OutputSecret(inv, **secret);
}

}  // namespace coffer::cli
