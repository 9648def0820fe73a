// AppRole single-field endpoints: role/:role_name/<field> reads, sets or
// resets one role field (policies, token-ttl, secret-id-ttl, ...). Each is
// a row of a table; all share the role write path (ApplyRoleFields), so they
// validate exactly as a full role write does. Part of AppRoleEngine.
#include <vector>

#include "auth/approle_engine.h"
#include "auth/names.h"

namespace coffer::auth::approle {
namespace {

struct FieldSpec {
  const char* segment;               // path segment after the role name
  const char* key;                   // key in the role's read view
  std::vector<const char*> aliases;  // also accepted on write and echoed on read
  Json reset;                        // value a DELETE writes; null: read-only
};

const std::vector<FieldSpec>& Specs() {
  static const std::vector<FieldSpec> kSpecs = {
      {"policies", "token_policies", {"policies"}, Json::array()},
      {"token-policies", "token_policies", {}, Json::array()},
      {"secret-id-num-uses", "secret_id_num_uses", {}, 0},
      {"secret-id-ttl", "secret_id_ttl", {}, 0},
      {"token-ttl", "token_ttl", {}, 0},
      {"token-max-ttl", "token_max_ttl", {}, 0},
      {"token-explicit-max-ttl", "token_explicit_max_ttl", {}, 0},
      {"token-num-uses", "token_num_uses", {}, 0},
      {"period", "token_period", {"period"}, 0},
      {"token-period", "token_period", {}, 0},
      {"bind-secret-id", "bind_secret_id", {}, true},
      {"secret-id-bound-cidrs", "secret_id_bound_cidrs", {}, Json::array()},
      {"bound-cidr-list", "secret_id_bound_cidrs", {"bound_cidr_list"}, Json::array()},
      {"token-bound-cidrs", "token_bound_cidrs", {}, Json::array()},
      {"token-type", "token_type", {}, "default"},
      {"local-secret-ids", "local_secret_ids", {}, nullptr},
  };
  return kSpecs;
}

// The request fields this endpoint accepts, null values dropped.
Json FieldsOf(const FieldSpec& spec, const Json& data) {
  Json out = Json::object();
  auto take = [&](const char* k) {
    if (data.is_object() && data.contains(k) && !data[k].is_null()) out[k] = data[k];
  };
  take(spec.key);
  for (const char* a : spec.aliases) take(a);
  return out;
}

}  // namespace

std::vector<framework::Path> AppRoleEngine::FieldPaths() {
  std::vector<framework::Path> paths;
  for (const FieldSpec& spec : Specs()) {
    const FieldSpec* s = &spec;  // Specs() is static: the pointer stays valid
    auto read = [this, s](const EngineRequest& req, const std::string& name) -> Result<Response> {
      ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, name));
      if (!role) return NotFound();
      Json view = RoleToJson(*role);
      Json out = Json{{s->key, view[s->key]}};
      for (const char* a : s->aliases) out[a] = view[s->key];
      return Response::Data(std::move(out));
    };
    // Applies `fields` to the role as a role update would.
    auto apply = [this](const EngineRequest& req, const std::string& name,
                        const Json& fields) -> Result<Response> {
      ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
      std::lock_guard<fiber::SharedMutex> lock(mu_);
      ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, name));
      if (!role) return NotFound("role \"" + name + "\" does not exist");
      std::string role_id = role->role_id;
      ASSIGN_OR_RETURN(Role updated, ApplyRoleFields(fields, std::move(*role), false));
      RETURN_IF_ERROR(SaveRole(req.storage, salt, updated, role_id));
      return Response::Empty();
    };
    auto update = [s, apply](const EngineRequest& req, const std::string& name) {
      Json fields = FieldsOf(*s, req.data);
      if (fields.empty())
        return Result<Response>(InvalidArgument(std::string("missing ") + s->key));
      return apply(req, name, fields);
    };
    auto reset = [s, apply](const EngineRequest& req, const std::string& name) {
      return apply(req, name, Json{{s->key, s->reset}});
    };
    auto wrap = [](auto fn) -> framework::Handler {
      return [fn](const EngineRequest& req, const framework::Params& p) -> Result<Response> {
        const std::string& name = p.at("role_name");
        if (!IsValidName(name)) return NotFound("unsupported path");
        return fn(req, name);
      };
    };
    framework::Path path{.pattern = std::string("role/:role_name/") + s->segment,
                         .operations = {{Operation::kRead, wrap(read)}},
                         .help = std::string("Read or change the role's ") + s->key + "."};
    if (!s->reset.is_null()) {
      path.operations[Operation::kUpdate] = wrap(update);
      path.operations[Operation::kDelete] = wrap(reset);
    }
    paths.push_back(std::move(path));
  }
  return paths;
}

}  // namespace coffer::auth::approle
