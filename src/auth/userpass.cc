#include "auth/userpass.h"

#include <mutex>
#include <optional>
#include <string>

#include "auth/cidr.h"
#include "auth/names.h"
#include "auth/token_fields.h"
#include "common/json_util.h"
#include "engines/framework.h"
#include "engines/stored_json.h"

namespace coffer::auth {
namespace {

using framework::Params;

constexpr char kUserPrefix[] = "user/";
constexpr char kBadLogin[] = "invalid username or password";

struct User {
  Json password_hash;
  TokenFields token;
};

class UserpassEngine : public Engine {
 public:
  explicit UserpassEngine(UserpassOptions options) : options_(options), paths_(BuildPaths()) {}

  // Engine:
  Result<Response> Handle(const EngineRequest& req) override { return paths_.Handle(req); }
  Result<std::optional<bool>> Exists(const EngineRequest& req) override {
    return paths_.Exists(req);
  }
  std::vector<std::string> UnauthenticatedPaths() const override {
    return paths_.UnauthenticatedPaths();
  }

 private:
  std::vector<framework::Path> BuildPaths();

  Result<Response> List(const EngineRequest& req);
  Result<Response> Read(const EngineRequest& req, const std::string& name);
  Result<Response> Write(const EngineRequest& req, const std::string& name);
  Result<Response> Delete(const EngineRequest& req, const std::string& name);
  Result<Response> SetPassword(const EngineRequest& req, const std::string& name);
  Result<Response> SetPolicies(const EngineRequest& req, const std::string& name);
  Result<Response> Login(const EngineRequest& req, const std::string& name);

  // A handler taking the lower-cased, validated username.
  using NameHandler = Result<Response> (UserpassEngine::*)(const EngineRequest&,
                                                           const std::string&);
  framework::Handler WithName(NameHandler h) {
    return [this, h](const EngineRequest& req, const Params& p) -> Result<Response> {
      std::string name = AsciiLower(p.at("username"));
      if (!IsValidName(name)) return NotFound("unsupported path");
      return (this->*h)(req, name);
    };
  }

  // The hash of the request's "password" field, nullopt when absent or empty.
  Result<std::optional<Json>> HashFromRequest(const EngineRequest& req);

  const UserpassOptions options_;
  std::mutex write_mu_;  // serialises read-modify-write of user entries
  framework::PathEngine paths_;
};

Result<std::optional<User>> LoadUser(storage::Backend* s, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, s->Get(kUserPrefix + name));
  if (!raw) return std::optional<User>();
  ASSIGN_OR_RETURN(Json j, engines::ParseStoredJson(*raw, "userpass user"));
  if (!j.is_object() || !j.contains("password_hash")) {
    return Corruption("userpass: stored user entry is malformed");
  }
  User u;
  u.password_hash = j["password_hash"];
  ASSIGN_OR_RETURN(u.token, TokenFields::FromStored(j));
  return std::optional<User>(std::move(u));
}

Status SaveUser(storage::Backend* s, const std::string& name, const User& u) {
  Json j = u.token.ToStored();
  j["password_hash"] = u.password_hash;
  return s->Put(kUserPrefix + name, DumpJsonCompact(j));
}

std::vector<framework::Path> UserpassEngine::BuildPaths() {
  using framework::Path;
  auto exists = [](const EngineRequest& req, const Params& p) -> Result<bool> {
    std::string name = AsciiLower(p.at("username"));
    if (!IsValidName(name)) return false;
    ASSIGN_OR_RETURN(auto raw, req.storage->Get(kUserPrefix + name));
    return raw.has_value();
  };
  return {
      Path{.pattern = "users/",
           .operations = {{Operation::kList,
                           [this](const EngineRequest& req, const Params&) { return List(req); }}},
           .help = "List users."},
      Path{.pattern = "users/:username",
           .operations = {{Operation::kRead, WithName(&UserpassEngine::Read)},
                          {Operation::kUpdate, WithName(&UserpassEngine::Write)},
                          {Operation::kDelete, WithName(&UserpassEngine::Delete)}},
           .exists = exists,
           .help = "Manage a user: password and token settings."},
      Path{.pattern = "users/:username/password",
           .operations = {{Operation::kUpdate, WithName(&UserpassEngine::SetPassword)}},
           .help = "Change a user's password."},
      Path{.pattern = "users/:username/policies",
           .operations = {{Operation::kUpdate, WithName(&UserpassEngine::SetPolicies)}},
           .help = "Set a user's token policies."},
      Path{.pattern = "login/:username",
           .operations = {{Operation::kUpdate, WithName(&UserpassEngine::Login)}},
           .help = "Log in with a username and password.",
           .unauthenticated = true},
  };
}

Result<std::optional<Json>> UserpassEngine::HashFromRequest(const EngineRequest& req) {
  ASSIGN_OR_RETURN(std::optional<std::string> password, GetString(req.data, "password"));
  if (!password || password->empty()) return std::optional<Json>();
  ASSIGN_OR_RETURN(Json hash, HashPassword(*password, options_.scrypt));
  return std::optional<Json>(std::move(hash));
}

Result<Response> UserpassEngine::List(const EngineRequest& req) {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List(kUserPrefix));
  std::vector<std::string> names;
  for (std::string& k : keys) {
    if (!k.empty() && k.back() != '/') names.push_back(std::move(k));
  }
  return framework::ListResponse(std::move(names));
}

Result<Response> UserpassEngine::Read(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<User> user, LoadUser(req.storage, name));
  if (!user) return NotFound();
  return Response::Data(TokenFieldsToJson(user->token, kUserpassLegacyKeys));
}

Result<Response> UserpassEngine::Write(const EngineRequest& req, const std::string& name) {
  if (req.data.contains("password_hash") && !req.data["password_hash"].is_null()) {
    return InvalidArgument("password_hash is not supported; send password");
  }
  // Hash before taking the lock: scrypt is the slow part.
  ASSIGN_OR_RETURN(std::optional<Json> hash, HashFromRequest(req));
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(std::optional<User> existing, LoadUser(req.storage, name));
  if (!existing && !hash) return InvalidArgument("missing password");
  User user = existing ? std::move(*existing) : User{};
  ASSIGN_OR_RETURN(user.token, ParseTokenFields(req.data, user.token, kUserpassLegacyKeys));
  if (hash) user.password_hash = std::move(*hash);
  RETURN_IF_ERROR(SaveUser(req.storage, name, user));
  return Response::Empty();
}

Result<Response> UserpassEngine::Delete(const EngineRequest& req, const std::string& name) {
  std::lock_guard<std::mutex> lock(write_mu_);
  RETURN_IF_ERROR(req.storage->Delete(kUserPrefix + name));
  return Response::Empty();
}

Result<Response> UserpassEngine::SetPassword(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<Json> hash, HashFromRequest(req));
  if (!hash) return InvalidArgument("missing password");
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(std::optional<User> user, LoadUser(req.storage, name));
  if (!user) return InvalidArgument("username does not exist");
  user->password_hash = std::move(*hash);
  RETURN_IF_ERROR(SaveUser(req.storage, name, *user));
  return Response::Empty();
}

Result<Response> UserpassEngine::SetPolicies(const EngineRequest& req, const std::string& name) {
  Json only = Json::object();
  for (const char* key : {"token_policies", "policies"}) {
    if (req.data.contains(key) && !req.data[key].is_null()) only[key] = req.data[key];
  }
  if (only.empty()) return InvalidArgument("missing token_policies");
  std::lock_guard<std::mutex> lock(write_mu_);
  ASSIGN_OR_RETURN(std::optional<User> user, LoadUser(req.storage, name));
  if (!user) return InvalidArgument("username does not exist");
  ASSIGN_OR_RETURN(user->token, ParseTokenFields(only, user->token, kUserpassLegacyKeys));
  RETURN_IF_ERROR(SaveUser(req.storage, name, *user));
  return Response::Empty();
}

Result<Response> UserpassEngine::Login(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> password, GetString(req.data, "password"));
  if (!password || password->empty()) return InvalidArgument("missing password");
  ASSIGN_OR_RETURN(std::optional<User> user, LoadUser(req.storage, name));
  if (!user) {
    DummyVerify(*password, options_.scrypt);
    return InvalidArgument(kBadLogin);
  }
  ASSIGN_OR_RETURN(bool match, VerifyPassword(*password, user->password_hash));
  if (!match) return InvalidArgument(kBadLogin);
  // Checked only after the password so a caller outside the range learns
  // nothing about which users exist.
  RETURN_IF_ERROR(CheckRemoteAddress(user->token.bound_cidrs, req));

  AuthInfo auth;
  FillAuth(user->token, &auth, &req.system);
  auth.metadata = Json{{"username", name}};
  auth.display_name = name;
  Response resp;
  resp.auth = std::move(auth);
  return resp;
}

}  // namespace

EnginePtr NewUserpass(UserpassOptions options) { return std::make_unique<UserpassEngine>(options); }

}  // namespace coffer::auth
