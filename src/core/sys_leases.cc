#include "core/sys_leases.h"

#include <optional>
#include <string>
#include <utility>

#include "common/json_util.h"
#include "core/token_ttl.h"

namespace coffer::core {
namespace {

using framework::Params;
using framework::Path;

// The lease id from the path ("renew/<id>" forms) or the body.
Result<std::string> LeaseIdOf(const EngineRequest& req, const Params& params) {
  auto it = params.find("lease_id");
  if (it != params.end() && !it->second.empty()) return it->second;
  ASSIGN_OR_RETURN(std::optional<std::string> id, GetString(req.data, "lease_id"));
  if (!id.has_value() || id->empty()) return InvalidArgument("lease_id must be specified");
  return *id;
}

// "prefix" from the path; hvac also sends it in the body.
Result<std::string> PrefixOf(const EngineRequest& req, const Params& params) {
  auto it = params.find("prefix");
  if (it != params.end() && !it->second.empty()) return it->second;
  ASSIGN_OR_RETURN(std::optional<std::string> p, GetString(req.data, "prefix"));
  if (!p.has_value() || p->empty()) return InvalidArgument("prefix must be specified");
  return *p;
}

// `sync` defaults to true (Vault's code, whatever its docs say).
Result<bool> SyncOf(const EngineRequest& req) {
  ASSIGN_OR_RETURN(std::optional<bool> sync, GetBool(req.data, "sync"));
  return sync.value_or(true);
}

Response Accepted(bool sync) {
  Response r;
  if (!sync) r.status = 202;
  return r;
}

}  // namespace

Json LeaseLookupData(const LeaseEntry& e, int64_t now) {
  Json d{{"id", e.lease_id},
         {"issue_time", FormatRfc3339(e.issue_time)},
         {"expire_time", e.expire_time > 0 ? Json(FormatRfc3339(e.expire_time)) : Json(nullptr)},
         {"last_renewal", e.last_renewal_time > 0 ? Json(FormatRfc3339(e.last_renewal_time))
                                                  : Json(nullptr)},
         {"renewable", e.renewable},
         {"ttl", e.expire_time > now ? e.expire_time - now : 0}};
  if (e.state != LeaseEntry::State::kActive) {
    // A revocation that failed is retried on a backoff; say so.
    d["revocation_state"] = LeaseStateName(e.state);
    d["revoke_attempts"] = e.revoke_attempts;
    d["last_revoke_error"] = e.last_error;
    d["next_revoke_attempt"] = FormatRfc3339(e.next_attempt_time);
  }
  return d;
}

std::vector<Path> SysLeasePaths(ExpirationManager& leases) {
  ExpirationManager* m = &leases;
  auto lookup = [m](const EngineRequest& req, const Params& p) -> Result<Response> {
    ASSIGN_OR_RETURN(std::string id, LeaseIdOf(req, p));
    ASSIGN_OR_RETURN(LeaseEntry e, m->Lookup(id));
    return Response::Data(LeaseLookupData(e, m->Now()));
  };
  auto list = [m](const EngineRequest&, const Params& p) -> Result<Response> {
    auto it = p.find("prefix");
    ASSIGN_OR_RETURN(std::vector<std::string> keys, m->List(it == p.end() ? "" : it->second));
    if (keys.empty()) return NotFound("");
    return framework::ListResponse(std::move(keys));
  };
  auto renew = [m](const EngineRequest& req, const Params& p) -> Result<Response> {
    ASSIGN_OR_RETURN(std::string id, LeaseIdOf(req, p));
    ASSIGN_OR_RETURN(std::optional<int64_t> increment, GetDuration(req.data, "increment"));
    ASSIGN_OR_RETURN(SecretInfo secret, m->Renew(id, increment.value_or(0)));
    Response r;
    r.status = 200;  // the lease fields are the answer, data stays null
    r.secret = std::move(secret);
    return r;
  };
  auto revoke = [m](const EngineRequest& req, const Params& p) -> Result<Response> {
    ASSIGN_OR_RETURN(std::string id, LeaseIdOf(req, p));
    ASSIGN_OR_RETURN(bool sync, SyncOf(req));
    RETURN_IF_ERROR(m->Revoke(id, sync));
    return Accepted(sync);
  };
  auto revoke_prefix = [m](bool force) {
    return [m, force](const EngineRequest& req, const Params& p) -> Result<Response> {
      ASSIGN_OR_RETURN(std::string prefix, PrefixOf(req, p));
      ASSIGN_OR_RETURN(bool sync, SyncOf(req));
      RETURN_IF_ERROR(m->RevokePrefix(prefix, sync || force, force));
      return Accepted(sync || force);
    };
  };
  auto tidy = [m](const EngineRequest&, const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(LeaseTidyReport report, m->Tidy());
    Response r;
    r.warnings.push_back("Tidy operation successfully started. Revoked " +
                         std::to_string(report.revoked) + " lease(s) of missing tokens and removed " +
                         std::to_string(report.stale_index) + " stale index entries.");
    return r;
  };

  const auto update = [](framework::Handler h) {
    return std::map<Operation, framework::Handler>{{Operation::kUpdate, std::move(h)}};
  };
  std::vector<Path> paths;
  paths.push_back(Path{.pattern = "leases/lookup",
                       .operations = update(lookup),
                       .help = "Look up a lease's times and renewability."});
  paths.push_back(Path{.pattern = "leases/lookup/*prefix",
                       .operations = {{Operation::kList, list}},
                       .help = "List lease ids under a prefix (sudo)."});
  for (const char* base : {"leases/renew", "renew"}) {
    paths.push_back(Path{.pattern = base,
                         .operations = update(renew),
                         .help = "Renew a lease by `increment` (capped by its maximum TTL)."});
    paths.push_back(Path{.pattern = std::string(base) + "/*lease_id",
                         .operations = update(renew),
                         .help = "Renew the lease named in the path."});
  }
  for (const char* base : {"leases/revoke", "revoke"}) {
    paths.push_back(Path{.pattern = base,
                         .operations = update(revoke),
                         .help = "Revoke a lease (sync=false queues it: 202)."});
    paths.push_back(Path{.pattern = std::string(base) + "/*lease_id",
                         .operations = update(revoke),
                         .help = "Revoke the lease named in the path."});
  }
  for (const char* base : {"leases/revoke-prefix/*prefix", "revoke-prefix/*prefix"}) {
    paths.push_back(Path{.pattern = base,
                         .operations = update(revoke_prefix(false)),
                         .help = "Revoke every lease under a prefix (sudo)."});
  }
  for (const char* base : {"leases/revoke-force/*prefix", "revoke-force/*prefix"}) {
    paths.push_back(Path{.pattern = base,
                         .operations = update(revoke_prefix(true)),
                         .help = "Remove every lease under a prefix even when its engine cannot "
                                 "revoke it (sudo)."});
  }
  paths.push_back(Path{.pattern = "leases/tidy",
                       .operations = update(tidy),
                       .help = "Revoke leases whose token is gone and repair the lease index."});
  return paths;
}

}  // namespace coffer::core
