// `coffer kv get` and `coffer kv list`: reads through the kv preflight
// (kv_mount.h). KV v2 reads go to <mount>data/<path> (?version=N) and lists
// to <mount>metadata/<path>; KV v1 uses the path as given.
#include <ostream>

#include "cli/commands.h"
#include "cli/kv_mount.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kGetUsage[] =
    "Usage: coffer kv get [options] KEY\n"
    "\n"
    "  Reads a key from a KV secrets engine (version 1 or 2, found by asking the\n"
    "  server). For KV v2, -version reads an older version; the metadata of the\n"
    "  version is shown above the data.\n"
    "\n"
    "      $ coffer kv get secret/app\n"
    "      $ coffer kv get -mount=secret -version=2 app\n";

constexpr char kListUsage[] =
    "Usage: coffer kv list [options] PATH\n"
    "\n"
    "  Lists the keys under PATH in a KV secrets engine. Names ending in \"/\" have\n"
    "  keys below them.\n";

int GetField(Invocation& inv, const Json& secret, bool v2, const std::string& path,
             const std::string& field) {
  if (!v2) return OutputField(inv, SecretField(secret, field), field);
  const Json& data = Member(Member(secret, "data"), "data");
  if (data.is_null()) {
    inv.err() << "No data found at " << path << "\n";
    return kExitRemoteError;
  }
  // "-field=data" means a key named "data" if there is one, else the whole map.
  if (field == "data" && !(data.is_object() && data.contains("data"))) {
    return OutputField(inv, SecretField(secret, field), field);
  }
  const Json& v = Member(data, field.c_str());
  return OutputField(inv, v.is_null() ? std::nullopt : std::optional<Json>(v), field);
}

}  // namespace

int RunKvGet(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kGetUsage);
  std::string mount;
  std::string field;
  int version = 0;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().Int("version", &version, "The version to read (KV v2; 0 = the current one).");
  inv.flags().String("field", &field, "Print only this key of the data, raw.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  const KvTarget& target = kv.target();

  std::string path = target.ApiPath("data");
  std::string request = EscapePath(path);
  if (target.v2() && version > 0) request += "?version=" + std::to_string(version);
  Result<std::optional<Json>> read = kv.client().Read(request);
  if (!read.ok()) return inv.Fail("Error reading " + path, read.status());
  if (!read->has_value()) {
    inv.err() << "No value found at " << path << "\n";
    return kExitRemoteError;
  }
  const Json& secret = **read;
  if (IsWrapped(secret)) {
    return field.empty() ? OutputSecret(inv, secret)
                         : OutputField(inv, SecretField(secret, field), field);
  }
  if (!field.empty()) return GetField(inv, secret, target.v2(), path, field);
  if (inv.format() != OutputFormat::kTable) return OutputSecret(inv, secret);

  inv.err() << FormatWarnings(secret);
  if (target.v2()) inv.out() << PathSection("Secret Path", path);
  const Json& body = Member(secret, "data");
  const Json& metadata = Member(body, "metadata");
  if (target.v2() && metadata.is_object()) {
    inv.out() << HeaderForMap("Metadata", metadata) << "\n" << FormatDataTable(metadata) << "\n";
  }
  const Json& data = target.v2() ? Member(body, "data") : body;
  if (data.is_object()) inv.out() << HeaderForMap("Data", data) << "\n" << FormatDataTable(data);
  return kExitOk;
}

int RunKvList(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kListUsage);
  std::string mount;
  inv.flags().String("mount", &mount, "The KV mount; PATH is then the path inside it.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  std::string path = kv.target().ApiPath("metadata");
  Result<std::optional<Json>> secret = kv.client().Read(EscapePath(path) + "?list=true");
  if (!secret.ok()) return inv.Fail("Error listing " + path, secret.status());
  return PrintListResult(inv, *secret, path);
}

}  // namespace coffer::cli
