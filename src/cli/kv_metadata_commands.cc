// `coffer kv metadata get|put|patch|delete`: the metadata of a KV v2 key at
// <mount>metadata/<key> (GET, PUT, PATCH, DELETE). KV v1 has no metadata.
#include <algorithm>
#include <ostream>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/kv_mount.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"
#include "common/duration.h"

namespace coffer::cli {
namespace {

constexpr char kGetUsage[] =
    "Usage: coffer kv metadata get [options] KEY\n"
    "\n"
    "  Shows the metadata of a KV v2 key and of each of its versions.\n";

constexpr char kPutUsage[] =
    "Usage: coffer kv metadata put [options] KEY\n"
    "\n"
    "  Sets the metadata of a KV v2 key (creating it if needed): -max-versions,\n"
    "  -cas-required, -delete-version-after, -custom-metadata=k=v (repeatable).\n"
    "  Settings not given keep their values; -custom-metadata replaces the whole map.\n";

constexpr char kPatchUsage[] =
    "Usage: coffer kv metadata patch [options] KEY\n"
    "\n"
    "  Changes only the given metadata settings of a KV v2 key;\n"
    "  -remove-custom-metadata=k drops one custom metadata key.\n";

constexpr char kDeleteUsage[] =
    "Usage: coffer kv metadata delete [options] KEY\n"
    "\n"
    "  Deletes a KV v2 key entirely: its metadata and all of its versions.\n";

// Opens the session and checks for KV v2; prints the error otherwise.
std::optional<int> RequireV2(Invocation& inv, const KvSession& kv) {
  if (kv.failed()) return kv.failed();
  if (!kv.target().v2()) {
    inv.err() << "Metadata not supported on KV Version 1\n";
    return kExitLocalError;
  }
  return std::nullopt;
}

// The flags put and patch share, and the request body they describe.
struct MetadataFlags {
  std::string mount;
  int max_versions = -1;
  bool cas_required = false;
  std::string delete_version_after;
  std::vector<std::string> custom_metadata;
  std::vector<std::string> remove_custom_metadata;

  void Register(FlagSet& f, bool patch) {
    f.String("mount", &mount, "The KV mount; KEY is then the path inside it.");
    f.Int("max-versions", &max_versions, "Versions to keep (0 = the mount's setting).");
    f.Bool("cas-required", &cas_required, "Require -cas on every write of the key.");
    f.String("delete-version-after", &delete_version_after,
             "Soft-delete versions this long after they are written (e.g. 720h; 0s = never).");
    f.StringList("custom-metadata", &custom_metadata,
                 "A k=v pair of custom metadata; repeat for more.");
    if (patch) {
      f.StringList("remove-custom-metadata", &remove_custom_metadata,
                   "A custom metadata key to remove; repeat for more.");
    }
  }

  Result<Json> Body(const FlagSet& f) const {
    Json body = Json::object();
    if (max_versions >= 0) body["max_versions"] = max_versions;
    if (f.IsSet("cas-required")) body["cas_required"] = cas_required;
    if (f.IsSet("delete-version-after")) {
      Result<int64_t> secs = ParseDurationSeconds(std::string_view(delete_version_after));
      if (!secs.ok()) {
        return InvalidArgument("invalid value for -delete-version-after: " +
                               secs.status().message());
      }
      body["delete_version_after"] = FormatGoDuration(*secs);
    }
    ASSIGN_OR_RETURN(auto custom, ParseKeyValueFlag(custom_metadata, "custom-metadata"));
    if (!custom.empty() || !remove_custom_metadata.empty()) {
      Json cm = Json::object();
      for (const auto& [k, v] : custom) cm[k] = v;
      for (const std::string& k : remove_custom_metadata) cm[k] = nullptr;
      body["custom_metadata"] = cm;
    }
    return body;
  }
};

int WriteMetadata(CommandContext& ctx, const std::vector<std::string>& args, const char* usage,
                  const char* method) {
  Invocation inv(ctx, usage);
  MetadataFlags flags;
  flags.Register(inv.flags(), std::string_view(method) == "PATCH");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  Result<Json> body = flags.Body(inv.flags());
  if (!body.ok()) return inv.UsageError(body.status().message());
  KvSession kv(inv, inv.positional()[0], flags.mount);
  if (auto exit = RequireV2(inv, kv)) return *exit;
  std::string path = kv.target().ApiPath("metadata");
  Result<std::optional<Json>> written = kv.client().Write(method, EscapePath(path), *body);
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

int RunKvMetadataGet(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kGetUsage);
  std::string mount;
  std::string field;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().String("field", &field, "Print only this field of the metadata, raw.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  KvSession kv(inv, inv.positional()[0], mount);
  if (auto exit = RequireV2(inv, kv)) return *exit;
  std::string path = kv.target().ApiPath("metadata");
  Result<std::optional<Json>> read = kv.client().Read(EscapePath(path));
  if (!read.ok()) return inv.Fail("Error reading " + path, read.status());
  if (!read->has_value()) {
    inv.err() << "No value found at " << path << "\n";
    return kExitRemoteError;
  }
  Json secret = **read;
  if (!field.empty()) return OutputField(inv, SecretField(secret, field), field);
  if (inv.format() != OutputFormat::kTable) return OutputSecret(inv, secret);
  Json versions = Member(Member(secret, "data"), "versions");
  if (!versions.is_object()) {
    inv.err() << "No value found at " << path << "\n";
    OutputSecret(inv, secret);
    return kExitRemoteError;
  }
  secret["data"].erase("versions");
  inv.out() << PathSection("Metadata Path", path) << HeaderForMap("Metadata", secret["data"])
            << "\n";
  OutputSecret(inv, secret);
  // Versions in numeric order ("10" after "9").
  std::vector<std::pair<long long, std::string>> order;
  for (const auto& [k, v] : versions.items()) {
    long long n = 0;
    bool numeric = !k.empty() && k.size() < 19 &&
                   std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) n = std::stoll(k);
    order.emplace_back(numeric ? n : -1, k);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [n, k] : order) {
    const Json& v = versions[k];
    inv.out() << "\n" << HeaderForMap("Version " + k, v) << "\n" << FormatDataTable(v);
  }
  return kExitOk;
}

int RunKvMetadataPut(CommandContext& ctx, const std::vector<std::string>& args) {
  return WriteMetadata(ctx, args, kPutUsage, "PUT");
}

int RunKvMetadataPatch(CommandContext& ctx, const std::vector<std::string>& args) {
  return WriteMetadata(ctx, args, kPatchUsage, "PATCH");
}

int RunKvMetadataDelete(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDeleteUsage);
  std::string mount;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  KvSession kv(inv, inv.positional()[0], mount);
  if (auto exit = RequireV2(inv, kv)) return *exit;
  std::string path = kv.target().ApiPath("metadata");
  Result<std::optional<Json>> deleted = kv.client().Write("DELETE", EscapePath(path));
  if (!deleted.ok()) return inv.Fail("Error deleting " + path, deleted.status());
  if (inv.format() == OutputFormat::kTable) {
    inv.out() << "Success! Data deleted (if it existed) at: " << path << "\n";
  }
  return kExitOk;
}

}  // namespace coffer::cli
