// `coffer login`: authenticate, store the token in ~/.vault-token and show it.
//
//   -method=token     (default) GET auth/token/lookup-self with the token given
//                     as argument, token=..., "-" (stdin) or typed at a prompt
//   -method=userpass  PUT auth/<path>/login/<username> {"password"}; the
//                     password is prompted for (no echo) when not given
//   -method=approle   PUT auth/<path>/login {"role_id","secret_id"} (the vault
//                     CLI has no approle helper; this is ours)
//
// -no-store skips the token file, -token-only prints just the token (and does
// not store it), -no-print stores without printing.
#include <algorithm>
#include <ostream>
#include <set>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/path_util.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"
#include "cli/token_file.h"
#include "common/json_util.h"

namespace coffer::cli {
namespace {

constexpr size_t kAny = static_cast<size_t>(-1);

constexpr char kUsage[] =
    "Usage: coffer login [options] [TOKEN | K=V...]\n"
    "\n"
    "  Authenticates and stores the resulting token in ~/.vault-token, where later\n"
    "  commands find it.\n"
    "\n"
    "      $ coffer login                      (prompts for a token)\n"
    "      $ coffer login hvs.XXXX\n"
    "      $ coffer login -method=userpass username=alice   (prompts for the password)\n"
    "      $ coffer login -method=approle role_id=... secret_id=...\n";

using Config = std::map<std::string, std::string>;

std::string TrimSpace(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The response a token login shows: lookup-self's data recast as an auth block.
Json TokenLoginSecret(const std::string& token, const Json& lookup) {
  const Json& data = DataOf(lookup);
  std::vector<std::string> token_policies = StringItems(Member(data, "policies"));
  std::vector<std::string> identity = StringItems(Member(data, "identity_policies"));
  std::set<std::string> all(token_policies.begin(), token_policies.end());
  all.insert(identity.begin(), identity.end());
  std::string id = StringField(data, "id");
  Json auth = {{"client_token", id.empty() ? token : id},
               {"accessor", StringField(data, "accessor")},
               {"policies", std::vector<std::string>(all.begin(), all.end())},
               {"token_policies", token_policies},
               {"identity_policies", identity},
               {"metadata", Member(data, "meta")},
               {"lease_duration", IntField(data, "ttl")},
               {"renewable", BoolField(data, "renewable")},
               {"entity_id", StringField(data, "entity_id")},
               {"token_type", StringField(data, "type")},
               {"orphan", BoolField(data, "orphan")}};
  return Json{{"request_id", StringField(lookup, "request_id")},
              {"lease_id", ""},
              {"lease_duration", 0},
              {"renewable", false},
              {"data", nullptr},
              {"warnings", nullptr},
              {"auth", auth}};
}

Result<Json> TokenAuth(CommandContext& ctx, ApiClient& client, const Config& config) {
  bool lookup = true;
  if (auto it = config.find("lookup"); it != config.end() && !ParseGoBool(it->second, &lookup)) {
    return InvalidArgument("invalid value for lookup: " + it->second);
  }
  std::string token;
  if (auto it = config.find("token"); it != config.end()) {
    token = it->second;
  } else {
    if (!ctx.read_secret) return InvalidArgument("no token given and no terminal to ask for one");
    ASSIGN_OR_RETURN(token, ctx.read_secret("Token (will be hidden): "));
  }
  token = TrimSpace(std::move(token));
  if (token.empty()) return InvalidArgument("a token must be given (as an argument, or typed)");
  if (!lookup) return Json{{"auth", {{"client_token", token}}}};
  client.set_token(token);
  Result<Json> resp = client.Call("GET", "auth/token/lookup-self");
  if (!resp.ok()) {
    return Status(resp.status().code(), "error looking up token: " + resp.status().message());
  }
  return TokenLoginSecret(token, *resp);
}

Result<Json> WriteLogin(ApiClient& client, const std::string& path, const Json& body) {
  client.set_token("");  // login endpoints need none; a stale stored one must not interfere
  ASSIGN_OR_RETURN(std::optional<Json> secret, client.Write("PUT", EscapePath(path), body));
  if (!secret) return Internal("empty response from credential provider");
  return *secret;
}

Result<Json> UserpassAuth(CommandContext& ctx, ApiClient& client, const Config& config,
                          const std::string& mount) {
  std::string username;
  if (auto it = config.find("username"); it != config.end()) {
    username = it->second;
  } else {
    username = ctx.env("USER").value_or(ctx.env("USERNAME").value_or(""));
  }
  if (username.empty()) return InvalidArgument("'username' must be specified");
  std::string password;
  if (auto it = config.find("password"); it != config.end()) {
    password = it->second;
  } else {
    if (!ctx.read_secret) return InvalidArgument("no password given and no terminal to ask");
    ASSIGN_OR_RETURN(password, ctx.read_secret("Password (will be hidden): "));
  }
  return WriteLogin(client, "auth/" + mount + "/login/" + username, Json{{"password", password}});
}

Result<Json> AppRoleAuth(ApiClient& client, const Config& config, const std::string& mount) {
  auto role_id = config.find("role_id");
  if (role_id == config.end() || role_id->second.empty()) {
    return InvalidArgument("'role_id' must be specified");
  }
  Json body = {{"role_id", role_id->second}};
  if (auto it = config.find("secret_id"); it != config.end()) body["secret_id"] = it->second;
  return WriteLogin(client, "auth/" + mount + "/login", body);
}

Result<Config> ParseConfig(CommandContext& ctx, const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(Json data, ParseKeyValueArgs(args, ctx.read_stdin));
  Config config;
  for (const auto& [k, v] : data.items()) {
    std::string text;
    if (!ScalarToString(v, &text)) return InvalidArgument("value of " + k + " must be a string");
    config[k] = text;
  }
  return config;
}

}  // namespace

int RunLogin(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUsage);
  std::string method = "token";
  std::string path;
  std::string field;
  bool no_store = false;
  bool no_print = false;
  bool token_only = false;
  inv.flags().String("method", &method, "Auth method: token (default), userpass or approle.");
  inv.flags().String("path", &path, "Mount path of the auth method (default: the method name).");
  inv.flags().Bool("no-store", &no_store, "Do not store the token in ~/.vault-token.");
  inv.flags().Bool("no-print", &no_print, "Store the token but print nothing.");
  inv.flags().Bool("token-only", &token_only,
                   "Print only the token, without storing it (-field=token -no-store).");
  inv.flags().String("field", &field, "Print only this field of the result, raw.");
  if (auto exit = inv.Parse(args, 0, kAny)) return *exit;
  if (token_only) {
    no_store = true;
    field = "token";
  }
  if (no_store && no_print) {
    inv.err() << "-no-store and -no-print cannot be used together\n";
    return kExitLocalError;
  }
  if (method != "token" && method != "userpass" && method != "approle") {
    inv.err() << "Unknown auth method: " << method
              << ". This client has login helpers for token, userpass and approle; other\n"
                 "methods can be used with \"coffer write auth/<path>/login ...\".\n";
    return kExitLocalError;
  }
  std::vector<std::string> rest = inv.positional();
  Config config;
  if (method == "token" && !rest.empty() && rest[0].find('=') == std::string::npos) {
    std::string token = rest[0];
    if (token == "-") {
      Result<std::string> in = ctx.read_stdin ? ctx.read_stdin() : Result<std::string>("");
      if (!in.ok()) return inv.Fail("Error reading the token from stdin", in.status(), 1);
      token = *in;
    }
    config["token"] = token;
    rest.erase(rest.begin());
  }
  Result<Config> more = ParseConfig(ctx, rest);
  if (!more.ok()) return inv.Fail("Error parsing configuration", more.status(), 1);
  config.insert(more->begin(), more->end());

  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  std::string mount = SanitizePath(path.empty() ? method : path);
  Result<Json> secret = method == "token"      ? TokenAuth(ctx, *client, config)
                        : method == "userpass" ? UserpassAuth(ctx, *client, config, mount)
                                               : AppRoleAuth(*client, config, mount);
  if (!secret.ok()) return inv.Fail("Error authenticating", secret.status());
  if (!Member(*secret, "auth").is_object()) {
    inv.err() << "Error authenticating: the server's response has no auth information\n";
    return kExitRemoteError;
  }
  std::string token = StringField(Member(*secret, "auth"), "client_token");

  if (!no_store) {
    Status stored = StoreTokenFile(ctx.env, token);
    if (!stored.ok()) {
      inv.err() << "Error storing token: " << stored.message() << "\n"
                << "Authentication succeeded, but the token was not saved; it is shown below.\n\n";
      OutputSecret(inv, *secret);
      return kExitRemoteError;
    }
    if (LookupEnv(ctx.env, "TOKEN")) {
      inv.err() << "WARNING! VAULT_TOKEN (or COFFER_TOKEN) is set and takes precedence over the\n"
                   "stored token; unset it to use the token from this login.\n\n";
    }
  }
  if (no_print) return kExitOk;
  if (!field.empty()) return OutputField(inv, SecretField(*secret, field), field);
  if (inv.format() == OutputFormat::kTable) {
    if (no_store) {
      inv.out() << "Success! You are now authenticated. The token below was not stored; pass it\n"
                   "to later commands in VAULT_TOKEN.\n\n";
    } else {
      inv.out()
          << "Success! You are now authenticated. The token below is stored in\n"
             "~/.vault-token and later commands use it; there is no need to log in again.\n\n";
    }
  }
  return OutputSecret(inv, *secret);
}

}  // namespace coffer::cli
