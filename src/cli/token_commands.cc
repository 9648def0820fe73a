// `coffer token create|lookup|renew|revoke|capabilities` over auth/token/*
// and sys/capabilities*.
//
//   create        POST auth/token/create (create-orphan with -orphan,
//                 create/<role> with -role)
//   lookup        GET auth/token/lookup-self | POST auth/token/lookup {token} |
//                 POST auth/token/lookup-accessor {accessor}
//   renew         PUT auth/token/renew-self {increment} | PUT auth/token/renew
//                 {token, increment} | POST auth/token/renew-accessor
//   revoke        PUT auth/token/revoke {token} | revoke-self | POST
//                 revoke-accessor | PUT revoke-orphan (-mode=orphan) |
//                 PUT sys/leases/revoke-prefix/<token> (-mode=path)
//   capabilities  POST sys/capabilities-self {paths} | POST sys/capabilities
//                 {token, paths}
#include <algorithm>
#include <ostream>
#include <tuple>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"
#include "common/duration.h"

namespace coffer::cli {
namespace {

constexpr char kCreateUsage[] =
    "Usage: coffer token create [options]\n"
    "\n"
    "  Creates a token, a child of the token in use unless -orphan is given.\n"
    "\n"
    "      $ coffer token create -policy=web -policy=db -ttl=8h\n";

constexpr char kLookupUsage[] =
    "Usage: coffer token lookup [options] [TOKEN]\n"
    "\n"
    "  Shows the properties of a token (the one in use when none is given). With\n"
    "  -accessor, the argument is the token's accessor.\n";

constexpr char kRenewUsage[] =
    "Usage: coffer token renew [options] [TOKEN]\n"
    "\n"
    "  Extends the lease of a token (the one in use when none is given) by\n"
    "  -increment (default: its original TTL), within its maximum TTL.\n";

constexpr char kRevokeUsage[] =
    "Usage: coffer token revoke [options] [TOKEN | -self]\n"
    "\n"
    "  Revokes a token and all of its children. -mode=orphan revokes only the token\n"
    "  (its children become orphans); -mode=path revokes every token and lease\n"
    "  created under the given path; -accessor takes an accessor instead.\n";

constexpr char kCapabilitiesUsage[] =
    "Usage: coffer token capabilities [options] [TOKEN] PATH\n"
    "\n"
    "  Lists what a token (the one in use when none is given) may do on PATH.\n";

// A duration flag's value in seconds; nullopt when the flag was not given.
Result<std::optional<int64_t>> DurationFlag(const FlagSet& flags, const char* name,
                                            const std::string& value) {
  if (!flags.IsSet(name)) return std::optional<int64_t>();
  Result<int64_t> secs = ParseDurationSeconds(std::string_view(value));
  if (!secs.ok()) {
    return InvalidArgument("invalid duration for -" + std::string(name) + ": \"" + value + "\"");
  }
  return std::optional<int64_t>(*secs);
}

std::string TrimSpace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

int RunTokenCreate(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kCreateUsage);
  std::string id, display_name, ttl, explicit_max_ttl, period, role, type, entity_alias, field;
  bool renewable = true, orphan = false, no_default_policy = false;
  int use_limit = 0;
  std::vector<std::string> policies, metadata;
  FlagSet& f = inv.flags();
  f.String("id", &id, "The token's ID (needs a root or sudo token). Default: random.");
  f.String("display-name", &display_name, "A name for the token (shown as token-<name>).");
  f.String("ttl", &ttl, "Initial TTL (e.g. 30m, 8h); default: the mount's.");
  f.String("explicit-max-ttl", &explicit_max_ttl, "Hard limit on the TTL, renewals included.");
  f.String("period", &period, "Make a periodic token renewed to this TTL (root/sudo only).");
  f.Bool("renewable", &renewable, "Whether the token can be renewed (default true).");
  f.Bool("orphan", &orphan, "Create the token without a parent (root/sudo only).");
  f.Bool("no-default-policy", &no_default_policy, "Do not attach the \"default\" policy.");
  f.Int("use-limit", &use_limit, "Number of uses before the token is revoked (0 = unlimited).");
  f.String("role", &role, "Create the token through this token role.");
  f.String("type", &type, "Token type: service or batch.");
  f.StringList("policy", &policies, "A policy to attach; repeat or comma-separate for more.");
  f.StringList("metadata", &metadata, "A k=v pair of metadata; repeat for more.");
  f.String("entity-alias", &entity_alias, "Entity alias to attach (with -role).");
  f.String("field", &field, "Print only this field of the result, raw (e.g. token).");
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;

  Json body = {{"display_name", display_name},
               {"num_uses", use_limit},
               {"type", type},
               {"entity_alias", entity_alias},
               {"renewable", type == "batch" ? false : renewable}};
  if (!id.empty()) body["id"] = id;
  std::vector<std::string> policy_list = SplitCommaList(policies);
  if (!policy_list.empty()) body["policies"] = policy_list;
  Result<std::map<std::string, std::string>> meta = ParseKeyValueFlag(metadata, "metadata");
  if (!meta.ok()) return inv.UsageError(meta.status().message());
  if (!meta->empty()) body["meta"] = *meta;
  if (orphan) body["no_parent"] = true;
  if (no_default_policy) body["no_default_policy"] = true;
  for (auto [name, value, key] :
       {std::tuple{"ttl", &ttl, "ttl"},
        std::tuple{"explicit-max-ttl", &explicit_max_ttl, "explicit_max_ttl"},
        std::tuple{"period", &period, "period"}}) {
    Result<std::optional<int64_t>> secs = DurationFlag(f, name, *value);
    if (!secs.ok()) return inv.UsageError(secs.status().message());
    if (*secs) body[key] = FormatGoDuration(**secs);
  }

  std::string path = !role.empty() ? "auth/token/create/" + EscapePath(role)
                     : orphan      ? "auth/token/create-orphan"
                                   : "auth/token/create";
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> secret = client->Call("POST", path, body);
  if (!secret.ok()) return inv.Fail("Error creating token", secret.status());
  if (!field.empty()) return OutputField(inv, SecretField(*secret, field), field);
  return OutputSecret(inv, *secret);
}

int RunTokenLookup(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kLookupUsage);
  bool accessor = false;
  inv.flags().Bool("accessor", &accessor, "The argument is an accessor, not a token.");
  if (auto exit = inv.Parse(args, 0, 1)) return *exit;
  std::string token = inv.positional().empty() ? "" : TrimSpace(inv.positional()[0]);
  if (accessor && token.empty()) {
    return inv.UsageError("Not enough arguments with -accessor (expected 1, got 0)");
  }
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> secret =
      token.empty() ? client->Call("GET", "auth/token/lookup-self")
      : accessor    ? client->Call("POST", "auth/token/lookup-accessor", Json{{"accessor", token}})
                    : client->Call("POST", "auth/token/lookup", Json{{"token", token}});
  if (!secret.ok()) return inv.Fail("Error looking up token", secret.status());
  return OutputSecret(inv, *secret);
}

int RunTokenRenew(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kRenewUsage);
  bool accessor = false;
  std::string increment;
  inv.flags().Bool("accessor", &accessor, "The argument is an accessor, not a token.");
  inv.flags().String("increment", &increment, "Requested TTL from now (e.g. 1h); alias -i.");
  inv.flags().String("i", &increment, "Alias of -increment.");
  if (auto exit = inv.Parse(args, 0, 1)) return *exit;
  std::string token = inv.positional().empty() ? "" : TrimSpace(inv.positional()[0]);
  if (accessor && token.empty()) {
    return inv.UsageError("Not enough arguments with -accessor (expected 1, got 0)");
  }
  int64_t inc = 0;
  if (inv.flags().IsSet("increment") || inv.flags().IsSet("i")) {
    Result<int64_t> secs = ParseDurationSeconds(std::string_view(increment));
    if (!secs.ok()) return inv.UsageError("invalid duration for -increment: \"" + increment + "\"");
    inc = *secs;
  }
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> secret =
      token.empty() ? client->Call("PUT", "auth/token/renew-self", Json{{"increment", inc}})
      : accessor
          ? client->Call("POST", "auth/token/renew-accessor",
                         Json{{"accessor", token}, {"increment", inc}})
          : client->Call("PUT", "auth/token/renew", Json{{"token", token}, {"increment", inc}});
  if (!secret.ok()) return inv.Fail("Error renewing token", secret.status());
  return OutputSecret(inv, *secret);
}

int RunTokenRevoke(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kRevokeUsage);
  bool accessor = false;
  bool self = false;
  std::string mode;
  inv.flags().Bool("accessor", &accessor, "The argument is an accessor, not a token.");
  inv.flags().Bool("self", &self, "Revoke the token in use.");
  inv.flags().String("mode", &mode, "\"orphan\" (keep the children) or \"path\" (a prefix).");
  if (auto exit = inv.Parse(args)) return *exit;
  size_t n = inv.positional().size();
  if (self && n > 0) return inv.UsageError("Too many arguments with -self (expected 0)");
  if (!self && n > 1) return inv.UsageError("Too many arguments (expected 1 or -self)");
  if (!self && n < 1) return inv.UsageError("Not enough arguments (expected 1 or -self)");
  if (self && accessor) return inv.UsageError("Cannot use -self with -accessor!");
  if (self && !mode.empty()) return inv.UsageError("Cannot use -self with -mode!");
  if (!mode.empty() && mode != "orphan" && mode != "path") {
    return inv.UsageError("Invalid -mode: \"" + mode + "\" (expected orphan or path)");
  }
  if (accessor && !mode.empty()) return inv.UsageError("Cannot use -accessor with -mode=" + mode);
  std::string token = n > 0 ? TrimSpace(inv.positional()[0]) : "";

  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> done = Internal("unreachable");
  if (self) {
    done = client->Call("PUT", "auth/token/revoke-self");
  } else if (accessor) {
    done = client->Call("POST", "auth/token/revoke-accessor", Json{{"accessor", token}});
  } else if (mode == "orphan") {
    done = client->Call("PUT", "auth/token/revoke-orphan", Json{{"token", token}});
  } else if (mode == "path") {
    done = client->Call("PUT", "sys/leases/revoke-prefix/" + EscapePath(token));
  } else {
    done = client->Call("PUT", "auth/token/revoke", Json{{"token", token}});
  }
  if (!done.ok()) return inv.Fail("Error revoking token", done.status());
  inv.out() << "Success! Revoked token (if it existed)\n";
  return kExitOk;
}

int RunTokenCapabilities(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kCapabilitiesUsage);
  if (auto exit = inv.Parse(args, 1, 2)) return *exit;
  std::string token = inv.positional().size() == 2 ? inv.positional()[0] : "";
  std::string path = inv.positional().back();
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Json paths = Json::array({path});
  Result<Json> resp =
      token.empty()
          ? client->Call("POST", "sys/capabilities-self", Json{{"paths", paths}})
          : client->Call("POST", "sys/capabilities", Json{{"token", token}, {"paths", paths}});
  if (!resp.ok()) return inv.Fail("Error listing capabilities", resp.status());
  const Json& data = DataOf(*resp);
  const Json* caps = &Member(data, path);
  if (!caps->is_array()) caps = &Member(data, "capabilities");
  if (!caps->is_array()) {
    inv.err() << "No capabilities found\n";
    return kExitLocalError;
  }
  std::vector<std::string> names = StringItems(*caps);
  std::sort(names.begin(), names.end());
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(Json(names));
    return kExitOk;
  }
  std::string joined;
  for (const std::string& c : names) joined += (joined.empty() ? "" : ", ") + c;
  inv.out() << joined << "\n";
  return kExitOk;
}

}  // namespace coffer::cli
