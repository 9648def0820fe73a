#include "cli/mount_view.h"

#include <tuple>

#include "cli/kv_args.h"
#include "cli/output.h"
#include "cli/reply_fields.h"
#include "common/duration.h"

namespace coffer::cli {
namespace {

// TTL columns: built-in mounts have none, 0 means the system default.
std::string TtlCell(const std::string& type, long long ttl) {
  if (type == "system" || type == "cubbyhole" || type == "identity") return "";
  if (ttl != 0) return std::to_string(ttl);
  return "system";
}

std::string OptionsCell(const Json& options) {
  return options.is_object() ? FormatValue(options) : "map[]";
}

}  // namespace

Json MountsOf(const Json& reply) {
  const Json& source = DataOf(reply);
  Json out = Json::object();
  if (!source.is_object()) return out;
  for (const auto& [path, info] : source.items()) {
    if (info.is_object()) out[path] = info;
  }
  return out;
}

std::vector<std::vector<std::string>> MountRows(const Json& mounts, MountKind kind, bool detailed) {
  std::vector<std::vector<std::string>> rows;
  bool auth = kind == MountKind::kAuth;
  if (!detailed) {
    rows.push_back({"Path", "Type", "Accessor", "Description"});
    if (auth) rows[0].push_back("Version");
  } else {
    rows.push_back({"Path", "Plugin", "Accessor", "Default TTL", "Max TTL"});
    rows[0].push_back(auth ? "Token Type" : "Force No Cache");
    for (const char* h :
         {"Replication", "Seal Wrap", "External Entropy Access", "Options", "Description", "UUID",
          "Version", "Running Version", "Running SHA256", "Deprecation Status"}) {
      rows[0].push_back(h);
    }
  }
  if (!mounts.is_object()) return rows;
  for (const auto& [path, m] : mounts.items()) {  // nlohmann keeps keys sorted
    std::string type = StringField(m, "type");
    if (!detailed) {
      rows.push_back({path, type, StringField(m, "accessor"), StringField(m, "description")});
      if (auth) rows.back().push_back(StringField(m, "plugin_version"));
      continue;
    }
    const Json& config = Member(m, "config");
    std::string plugin = type == "plugin" ? StringField(config, "plugin_name") : type;
    std::vector<std::string> row = {path, plugin, StringField(m, "accessor"),
                                    TtlCell(type, IntField(config, "default_lease_ttl")),
                                    TtlCell(type, IntField(config, "max_lease_ttl"))};
    row.push_back(auth ? StringField(config, "token_type")
                       : (BoolField(config, "force_no_cache") ? "true" : "false"));
    row.push_back(BoolField(m, "local") ? "local" : "replicated");
    row.push_back(BoolField(m, "seal_wrap") ? "true" : "false");
    row.push_back(BoolField(m, "external_entropy_access") ? "true" : "false");
    row.push_back(OptionsCell(Member(m, "options")));
    row.push_back(StringField(m, "description"));
    row.push_back(StringField(m, "uuid"));
    row.push_back(StringField(m, "plugin_version"));
    row.push_back(StringField(m, "running_plugin_version"));
    row.push_back(StringField(m, "running_sha256"));
    row.push_back(StringField(m, "deprecation_status"));
    rows.push_back(std::move(row));
  }
  return rows;
}

void MountFlags::Register(FlagSet* flags, MountKind kind, bool tune) {
  const char* what = kind == MountKind::kAuth ? "auth method" : "secrets engine";
  flags->String("description", &description,
                std::string("Human-readable description of the ") + what + ".");
  flags->String("default-lease-ttl", &default_lease_ttl,
                "Default TTL of leases and tokens (e.g. 1h; \"system\" = the server default).");
  flags->String("max-lease-ttl", &max_lease_ttl,
                "Maximum TTL of leases and tokens (e.g. 24h; \"system\" = the server default).");
  flags->String("listing-visibility", &listing_visibility,
                "\"unauth\" to list the mount in unauthenticated UI listings, or \"hidden\".");
  flags->StringList("options", &options, "A k=v mount option; repeat for more.");
  if (kind == MountKind::kSecrets) {
    flags->Int("version", &version, "KV version: -version=2 is -options=version=2.");
    if (!tune) {
      flags->Bool("force-no-cache", &force_no_cache, "Disable caching of this mount's data.");
    }
  }
  if (kind == MountKind::kAuth && tune) {
    flags->String("token-type", &token_type,
                  "Token type for logins: service, batch, default-service, default-batch.");
  }
}

Result<Json> MountFlags::Config(const FlagSet& flags) const {
  Json config = Json::object();
  for (auto [flag, value, key] :
       {std::tuple{"default-lease-ttl", &default_lease_ttl, "default_lease_ttl"},
        std::tuple{"max-lease-ttl", &max_lease_ttl, "max_lease_ttl"}}) {
    if (!flags.IsSet(flag)) continue;
    if (*value == "system") {
      config[key] = "system";
      continue;
    }
    Result<int64_t> secs = ParseDurationSeconds(std::string_view(*value));
    if (!secs.ok()) {
      return InvalidArgument("invalid duration for -" + std::string(flag) + ": \"" + *value + "\"");
    }
    config[key] = FormatGoDuration(*secs);
  }
  if (flags.IsSet("listing-visibility")) config["listing_visibility"] = listing_visibility;
  if (flags.IsSet("token-type")) config["token_type"] = token_type;
  if (flags.IsSet("force-no-cache")) config["force_no_cache"] = force_no_cache;
  return config;
}

Result<std::optional<Json>> MountFlags::Options(const FlagSet& flags) const {
  ASSIGN_OR_RETURN(auto parsed, ParseKeyValueFlag(options, "options"));
  if (parsed.empty() && !flags.IsSet("version")) return std::optional<Json>();
  Json out = Json::object();
  for (const auto& [k, v] : parsed) out[k] = v;
  if (flags.IsSet("version")) out["version"] = std::to_string(version);
  return std::optional<Json>(out);
}

Result<Json> MountFlags::TuneBody(const FlagSet& flags) const {
  ASSIGN_OR_RETURN(Json body, Config(flags));
  ASSIGN_OR_RETURN(std::optional<Json> opts, Options(flags));
  if (opts) body["options"] = *opts;
  if (flags.IsSet("description")) body["description"] = description;
  return body;
}

int PrintMountList(Invocation& inv, const std::string& api_path, MountKind kind, bool detailed,
                   const std::string& error_prefix) {
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> reply = client->Call("GET", api_path);
  if (!reply.ok()) return inv.Fail(error_prefix, reply.status());
  Json mounts = MountsOf(*reply);
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(mounts);
  } else {
    inv.out() << FormatColumns(MountRows(mounts, kind, detailed));
  }
  return kExitOk;
}

}  // namespace coffer::cli
