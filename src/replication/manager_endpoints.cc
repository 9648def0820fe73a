// The sys/replication/... endpoints shared by both replication types:
// enable, activation tokens, revoke, paths filters, update-primary, disable.
// DR-only operations (operation tokens, promotion, demotion) are in
// manager_dr.cc.
#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/duration.h"
#include "common/json_util.h"
#include "common/log.h"
#include "core/wrapping.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "http/client.h"
#include "replication/manager.h"
#include "replication/manager_internal.h"

namespace coffer::replication {

using namespace internal;

Result<Response> Manager::HandleSys(const Request& req, const Caller* caller) {
  std::string_view path = req.path;
  if (path.starts_with("sys/")) path.remove_prefix(4);
  if (!path.starts_with("replication")) return NotFound("unsupported path");
  path.remove_prefix(std::string_view("replication").size());
  if (path.starts_with("/")) path.remove_prefix(1);

  if (path == "status") {
    return Response::Data(
        Json{{"dr", TypeStatus(Type::kDr)}, {"performance", TypeStatus(Type::kPerformance)}});
  }
  if (path == "performance/status") return Response::Data(TypeStatus(Type::kPerformance));
  if (path == "dr/status") return Response::Data(TypeStatus(Type::kDr));

  if (path.starts_with("dr/secondary/")) {
    const std::string op(path.substr(std::string_view("dr/secondary/").size()));
    bool dr = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dr = DrSecondaryLocked();
    }
    if (op == "enable") {
      if (dr) return InvalidArgument("this cluster is already a DR secondary; use update-primary");
      if (caller == nullptr) return PermissionDenied();
      if (!IsWrite(req.operation)) return Unsupported();
      std::lock_guard<std::mutex> admin(admin_mu_);
      return SecondaryEnable(Type::kDr, req);
    }
    // (A null caller here means the request passed the DR gate just before
    // a promotion ended: it still gets the answer the promotion implies.)
    if (!dr) return InvalidArgument("this cluster is not a DR secondary");
    return DrSecondaryOp(op, req);
  }
  if (caller == nullptr) return PermissionDenied();

  Type t = Type::kPerformance;
  std::string rest;
  if (path.starts_with("performance/")) {
    rest = std::string(path.substr(std::string_view("performance/").size()));
  } else if (path.starts_with("dr/")) {
    t = Type::kDr;
    rest = std::string(path.substr(std::string_view("dr/").size()));
  } else if (path.starts_with("primary/") || path.starts_with("secondary/")) {
    rest = std::string(path);  // pre-DR names mean performance replication
  } else {
    return NotFound("unsupported path");
  }

  if (t == Type::kPerformance && rest.starts_with("primary/paths-filter/")) {
    std::string id = rest.substr(std::string_view("primary/paths-filter/").size());
    if (id.empty() || id.find('/') != std::string::npos) return NotFound("unsupported path");
    std::lock_guard<std::mutex> admin(admin_mu_);
    return PathsFilterOp(req, id);
  }
  if (!IsWrite(req.operation)) return Unsupported();
  std::lock_guard<std::mutex> admin(admin_mu_);
  if (rest == "primary/enable") return PrimaryEnable(t, req);
  if (rest == "primary/disable") return PrimaryDisable(t);
  if (rest == "primary/demote") return t == Type::kDr ? DrDemote() : PerformanceDemote();
  if (rest == "primary/secondary-token") return SecondaryToken(t, req, caller);
  if (rest == "primary/revoke-secondary") return RevokeSecondary(t, req);
  if (t == Type::kPerformance) {
    if (rest == "secondary/enable") return SecondaryEnable(t, req);
    if (rest == "secondary/promote") return PerformancePromote(req);
    if (rest == "secondary/disable") return SecondaryDisable(t);
    if (rest == "secondary/update-primary") return UpdatePrimary(t, req);
  }
  return NotFound("unsupported path");
}

Status Manager::EnsureClusterTls() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (tls_.has_value()) return Status::Ok();
  }
  ASSIGN_OR_RETURN(cluster::CertKey ca, cluster::NewCa("coffer cluster server CA"));
  ASSIGN_OR_RETURN(cluster::CertKey server,
                   cluster::IssueCert(ca, cluster::kClusterServerName, cluster::CertUsage::kServer));
  ClusterTls tls{std::move(ca), std::move(server)};
  RETURN_IF_ERROR(SaveClusterTls(core_.barrier(), tls));
  std::lock_guard<std::mutex> lock(mu_);
  tls_ = std::move(tls);
  return Status::Ok();
}

Result<Response> Manager::PrimaryEnable(Type t, const Request& req) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (role(t).primary.has_value()) {
      return InvalidArgument(Kind(t) + " replication is already enabled as a primary");
    }
    if (DrSecondaryLocked()) {
      return InvalidArgument("this cluster is a DR secondary; promote it instead of enabling it "
                             "as a primary");
    }
    if (t == Type::kPerformance &&
        (role(t).secondary.has_value() || role(t).bootstrapping)) {
      return InvalidArgument(
          "this cluster is a performance secondary; promote it instead of enabling it as a primary");
    }
  }
  ASSIGN_OR_RETURN(auto addr, GetString(req.data, "primary_cluster_addr"));
  RETURN_IF_ERROR(EnsureClusterTls());
  PrimaryState p;
  p.cluster_id = crypto::RandomUuid();
  p.primary_cluster_addr = addr.value_or("");
  ASSIGN_OR_RETURN(p.ca, cluster::NewCa("coffer " + std::string(TypeName(t)) + " CA " +
                                        p.cluster_id.substr(0, 8)));
  ASSIGN_OR_RETURN(p.signing_key, crypto::RandomBytes(32));
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), t, p));
  bool canary = false;
  std::string warning;
  {
    std::lock_guard<std::mutex> lock(mu_);
    role(t).primary = std::move(p);
  }
  // Restarted with the new set's CA among the trusted ones.
  if (Status st = RestartServer("primary enable"); !st.ok()) {
    warning = Kind(t) + " primary enabled, but the cluster port could not start: " + st.message();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    canary = WritesCanary();
  }
  if (canary) StartCanary();
  COFFER_LOG(kInfo, "replication") << TypeName(t) << " replication enabled as primary";
  return warning.empty() ? Empty() : WithWarning(std::move(warning));
}

Result<Response> Manager::PrimaryDisable(Type t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!role(t).primary.has_value()) {
      return InvalidArgument(Kind(t) + " replication is not enabled as a primary");
    }
  }
  RETURN_IF_ERROR(core_.barrier().Delete(PrimaryStateKey(t)));
  bool canary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    role(t).primary.reset();
    role(t).links.clear();
    canary = WritesCanary();
  }
  (void)RestartServer("primary disable");
  if (!canary) StopCanary();
  COFFER_LOG(kInfo, "replication") << TypeName(t) << " replication disabled (was primary)";
  return Empty();
}

Result<Response> Manager::PerformanceDemote() {
  SecondaryState s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Role& perf = role(Type::kPerformance);
    if (!perf.primary.has_value()) {
      return InvalidArgument("performance replication is not enabled as a primary");
    }
    s.cluster_id = perf.primary->cluster_id;
    s.generation = perf.primary->generation;
    s.connect = false;
  }
  RETURN_IF_ERROR(SaveSecondary(core_.barrier(), Type::kPerformance, s));
  RETURN_IF_ERROR(core_.barrier().Delete(PrimaryStateKey(Type::kPerformance)));
  RETURN_IF_ERROR(SetSecondaryMarker(Type::kPerformance, true));
  StopCanary();
  {
    std::lock_guard<std::mutex> lock(mu_);
    role(Type::kPerformance).primary.reset();
    role(Type::kPerformance).secondary = std::move(s);
  }
  (void)RestartServer("performance demote");
  COFFER_LOG(kInfo, "replication") << "performance primary demoted to a secondary with no primary";
  return Empty();
}

Result<Response> Manager::SecondaryToken(Type t, const Request& req, const Caller* caller) {
  if (!caller->sudo) return PermissionDenied();
  ASSIGN_OR_RETURN(auto id, GetString(req.data, "id"));
  if (!id.has_value() || id->empty()) return InvalidArgument("missing secondary ID");
  if (id->find('/') != std::string::npos || id->size() > 128) {
    return InvalidArgument("invalid secondary ID");
  }
  ASSIGN_OR_RETURN(auto ttl, GetDuration(req.data, "ttl"));
  const int64_t ttl_s = ttl.value_or(0) > 0 ? *ttl : kDefaultActivationTtl;
  ASSIGN_OR_RETURN(auto public_key, GetString(req.data, "secondary_public_key"));
  if (public_key.has_value() && !public_key->empty()) {
    return InvalidArgument("public-key activation (secondary_public_key) is not supported; "
                           "use a response-wrapped activation token");
  }
  PrimaryState p;
  ClusterTls tls;
  std::string cluster_addr, api_addr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!role(t).primary.has_value()) {
      return InvalidArgument(Kind(t) + " replication is not enabled as a primary");
    }
    if (role(t).primary->secondaries.count(*id) != 0) {
      return InvalidArgument("a secondary with ID \"" + *id +
                             "\" already exists; revoke it first to issue a new token");
    }
    p = *role(t).primary;
    tls = *tls_;
    cluster_addr = AdvertisedClusterAddr(t);
    api_addr = api_addr_;
  }
  if (cluster_addr.empty()) return Unavailable("the cluster port is not listening");
  ASSIGN_OR_RETURN(cluster::CertKey client,
                   cluster::IssueCert(p.ca, std::string(TypeName(t)) + ":" + *id,
                                      cluster::CertUsage::kClient));
  ASSIGN_OR_RETURN(std::string fingerprint, cluster::CertFingerprint(client.cert_pem));
  ASSIGN_OR_RETURN(std::string root_key, core_.barrier().RootKey());

  ActivationPackage pkg;
  pkg.type = t;
  pkg.cluster_id = p.cluster_id;
  pkg.secondary_id = *id;
  pkg.primary_cluster_addr = cluster_addr;
  pkg.primary_api_addr = api_addr;
  pkg.server_ca_pem = tls.ca.cert_pem;
  pkg.client_cert_pem = client.cert_pem;
  pkg.client_key_pem = client.key_pem;
  pkg.generation = p.generation;
  pkg.root_key = root_key;
  OPENSSL_cleanse(root_key.data(), root_key.size());

  ActivationClaims claims;
  claims.type = t;
  claims.addr = api_addr;
  claims.cluster_addr = cluster_addr;
  claims.secondary_id = *id;
  claims.cluster_id = p.cluster_id;
  claims.issued_at = UnixSeconds();
  claims.expires_at = claims.issued_at + ttl_s;
  claims.nonce = crypto::RandomBase62(24);
  const std::string token = EncodeActivationToken(claims, p.signing_key);

  Response inner = Response::Data(PackageToJson(pkg));
  pkg.root_key.assign(pkg.root_key.size(), '\0');
  ASSIGN_OR_RETURN(WrapInfo wrap,
                   core::WrapResponseAs(core_.tokens(), core_.router(), inner, ttl_s,
                                        "sys/replication/" + std::string(TypeName(t)) +
                                            "/primary/secondary-token",
                                        token));
  SecondaryRecord rec;
  rec.id = *id;
  rec.fingerprint = fingerprint;
  rec.token_accessor = wrap.accessor;
  rec.issued_at = claims.issued_at;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!role(t).primary.has_value()) {
      return InvalidArgument(Kind(t) + " replication was disabled meanwhile");
    }
    role(t).primary->secondaries[*id] = rec;
    p = *role(t).primary;
  }
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), t, p));
  COFFER_LOG(kInfo, "replication") << "activation token issued for " << TypeName(t)
                                   << " secondary " << *id;
  Response out;
  wrap.accessor.clear();  // Vault leaves wrapped_accessor/accessor empty here
  out.wrap_info = std::move(wrap);
  return out;
}

Result<Response> Manager::RevokeSecondary(Type t, const Request& req) {
  ASSIGN_OR_RETURN(auto id, GetString(req.data, "id"));
  if (!id.has_value() || id->empty()) return InvalidArgument("missing secondary ID");
  PrimaryState p;
  SecondaryRecord rec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Role& r = role(t);
    if (!r.primary.has_value()) {
      return InvalidArgument(Kind(t) + " replication is not enabled as a primary");
    }
    auto it = r.primary->secondaries.find(*id);
    if (it == r.primary->secondaries.end()) {
      return InvalidArgument("no secondary with ID \"" + *id + "\"");
    }
    rec = it->second;
    r.primary->secondaries.erase(it);
    r.primary->filters.erase(*id);
    r.links.erase(*id);
    p = *r.primary;
  }
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), t, p));
  // An activation token not used yet dies with the registration.
  if (!rec.token_accessor.empty()) {
    auto token = core_.tokens().LookupByAccessor(rec.token_accessor);
    if (token.ok() && token->has_value()) {
      Status st = core_.tokens().RevokeTreeByHash((*token)->hash);
      if (!st.ok()) {
        COFFER_LOG(kWarn, "replication") << "could not revoke the unused activation token of "
                                         << *id << ": " << st.ToString();
      }
    }
  }
  COFFER_LOG(kInfo, "replication") << TypeName(t) << " secondary " << *id << " revoked";
  return Empty();
}

Result<Response> Manager::PathsFilterOp(const Request& req, const std::string& id) {
  PrimaryState p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!role(Type::kPerformance).primary.has_value()) {
      return InvalidArgument("performance replication is not enabled as a primary");
    }
    p = *role(Type::kPerformance).primary;
  }
  if (req.operation == Operation::kRead) {
    auto it = p.filters.find(id);
    if (it == p.filters.end()) return NotFound();
    return Response::Data(Json{{"mode", it->second.mode}, {"paths", it->second.paths}});
  }
  if (req.operation == Operation::kDelete) {
    p.filters.erase(id);
  } else if (IsWrite(req.operation)) {
    ASSIGN_OR_RETURN(auto mode, GetString(req.data, "mode"));
    ASSIGN_OR_RETURN(auto paths, GetStringList(req.data, "paths"));
    PathsFilter f;
    f.mode = mode.value_or("allow");
    if (f.mode == "whitelist") f.mode = "allow";
    if (f.mode == "blacklist") f.mode = "deny";
    if (f.mode != "allow" && f.mode != "deny") {
      return InvalidArgument("invalid mode \"" + f.mode + "\"; expected \"allow\" or \"deny\"");
    }
    for (std::string path : paths.value_or(std::vector<std::string>{})) {
      while (path.starts_with("/")) path.erase(0, 1);
      if (path.empty()) continue;
      if (!path.ends_with("/")) path += "/";
      f.paths.push_back(std::move(path));
    }
    p.filters[id] = std::move(f);
  } else {
    return Unsupported();
  }
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), Type::kPerformance, p));
  std::lock_guard<std::mutex> lock(mu_);
  if (role(Type::kPerformance).primary.has_value()) {
    role(Type::kPerformance).primary->filters = p.filters;
  }
  return Empty();
}

Result<ActivationPackage> Manager::Unwrap(Type t, const Request& req, const std::string& token) {
  ASSIGN_OR_RETURN(ActivationClaims claims, DecodeActivationToken(token));
  if (claims.type != t) {
    return InvalidArgument("the activation token is for " + Kind(claims.type) +
                           " replication, not " + Kind(t));
  }
  ASSIGN_OR_RETURN(auto api_override, GetString(req.data, "primary_api_addr"));
  ASSIGN_OR_RETURN(auto ca_file, GetString(req.data, "ca_file"));
  const std::string api = api_override.value_or("").empty() ? claims.addr : *api_override;
  if (api.empty()) {
    return InvalidArgument("the activation token carries no primary API address; set primary_api_addr");
  }
  http::ClientOptions opts;
  opts.address = api;
  opts.ca_cert_file = ca_file.value_or("");
  opts.timeout_s = 30;
  http::Client client(opts);
  auto resp = client.Do("POST", "/v1/sys/wrapping/unwrap", "{}", {{"X-Vault-Token", token}});
  if (!resp.ok()) {
    COFFER_LOG(kWarn, "replication") << "unwrapping the activation token at " << api
                                     << " failed: " << resp.status().message();
    return InvalidArgument("error unwrapping the activation token at " + api + ": " +
                           resp.status().message());
  }
  Json body = Json::parse(resp->body, nullptr, false);
  if (resp->status != 200 || body.is_discarded() || !body.contains("data")) {
    std::string why = "status " + std::to_string(resp->status);
    if (!body.is_discarded() && body.contains("errors") && body["errors"].is_array() &&
        !body["errors"].empty() && body["errors"][0].is_string()) {
      why += ": " + body["errors"][0].get<std::string>();
    }
    COFFER_LOG(kWarn, "replication") << "activation token refused by the primary at " << api
                                     << " (" << why << ")";
    return InvalidArgument("error unwrapping the activation token at " + api + " (" + why +
                           "): the token is invalid, expired, already used or revoked");
  }
  ASSIGN_OR_RETURN(ActivationPackage pkg, PackageFromJson(body["data"]));
  if (pkg.cluster_id != claims.cluster_id || pkg.secondary_id != claims.secondary_id ||
      pkg.type != t) {
    return InvalidArgument("the activation package does not match its token");
  }
  if (pkg.primary_api_addr.empty()) pkg.primary_api_addr = api;
  return pkg;
}

Result<Response> Manager::SecondaryEnable(Type t, const Request& req) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Type other : {Type::kPerformance, Type::kDr}) {
      if (!role(other).primary.has_value()) continue;
      // A performance secondary may lead its own DR set (cascading); every
      // other combination would wipe data a set depends on.
      if (t == Type::kPerformance && other == Type::kDr) continue;
      return InvalidArgument("this cluster is a " + Kind(other) + " primary; a primary cannot be "
                             "enabled as a " + Kind(t) + " secondary (disable or demote it first)");
    }
    if (DrSecondaryLocked()) {
      return InvalidArgument(t == Type::kDr
                                 ? "this cluster is already a DR secondary; use update-primary"
                                 : "this cluster is a DR secondary; it cannot also be a "
                                   "performance secondary");
    }
    const Role& perf = role(Type::kPerformance);
    if (perf.secondary.has_value() || perf.bootstrapping) {
      return InvalidArgument(t == Type::kPerformance
                                 ? "this cluster is already a performance secondary; use update-primary"
                                 : "this cluster is a performance secondary; it cannot also be a "
                                   "DR secondary (enable DR on it as a primary instead)");
    }
  }
  ASSIGN_OR_RETURN(auto token, GetString(req.data, "token"));
  if (token.has_value()) token = Trimmed(std::move(*token));
  if (!token.has_value() || token->empty()) return InvalidArgument("missing activation token");
  ASSIGN_OR_RETURN(ActivationPackage pkg, Unwrap(t, req, *token));
  SecondaryState s;
  AdoptPackage(pkg, s);
  BeginBootstrap(t, std::move(s), std::move(pkg.root_key));
  if (t == Type::kDr) {
    return WithWarning(
        "DR secondary enabled: this cluster's data is being replaced with the primary's, tokens "
        "and leases included. It serves no client requests until promoted (mode \"secondary\" in "
        "sys/replication/dr/status); it unseals with the primary's unseal keys, and its "
        "operations take a dr_operation_token.");
  }
  return WithWarning(
      "Secondary enabled: this cluster's data is being replaced with the primary's. "
      "It serves again once bootstrapped (mode \"secondary\" in sys/replication/performance/status); "
      "from now on it unseals with the primary's unseal keys, and a local root token comes from "
      "generate-root with them.");
}

void Manager::BeginBootstrap(Type t, SecondaryState state, std::string root_key) {
  if (background_.joinable()) background_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    role(t).bootstrapping = true;
    role(t).bootstrap_error.clear();
    if (t == Type::kDr) dr_secondary_ = true;
  }
  // ReplaceStorage needs every request (this one included) to have left the
  // core, so it runs on its own thread once this request has answered.
  background_ = std::thread([this, t, state = std::move(state),
                             root_key = std::move(root_key)]() mutable {
    COFFER_LOG(kInfo, "replication") << "bootstrapping as " << TypeName(t) << " secondary "
                                     << state.secondary_id << " of " << state.primary_cluster_addr;
    Status st = core_.ReplaceStorage(
        [&]() -> Result<std::string> {
          RETURN_IF_ERROR(SetSecondaryMarker(t, true));
          RETURN_IF_ERROR(core_.replicated_log().WipeData());
          SecondaryClient once(t, state, &core_.replicated_log(), ClientHooks{});
          const int64_t started = UnixMillis();
          RETURN_IF_ERROR(once.Sync(options_.bootstrap_timeout));
          {
            std::lock_guard<std::mutex> lock(mu_);
            role(t).pending = state;
            role(t).bootstrap_keys = once.status().keys_fetched;
            role(t).bootstrap_ms = UnixMillis() - started;
          }
          return root_key;
        },
        // A DR secondary is its primary's copy, identity included; a
        // performance secondary is a cluster of its own.
        t == Type::kPerformance ? core::Core::ClusterIdentity::kFresh
                                : core::Core::ClusterIdentity::kKeep);
    OPENSSL_cleanse(root_key.data(), root_key.size());
    if (!st.ok()) {
      // Wiped and sealed, the node is an uninitialised one now: it must be
      // possible to initialise it again, so it is no secondary of anything.
      Status cleared = SetSecondaryMarker(t, false);
      if (!cleared.ok()) {
        COFFER_LOG(kError, "replication") << "could not clear the secondary marker: "
                                          << cleared.ToString();
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    role(t).bootstrapping = false;
    if (!st.ok()) {
      role(t).bootstrap_error = st.message();
      COFFER_LOG(kError, "replication") << "bootstrap failed: " << st.ToString();
    } else {
      COFFER_LOG(kInfo, "replication") << "bootstrap done; streaming from the primary";
    }
  });
}

Result<Response> Manager::PerformancePromote(const Request& req) {
  ASSIGN_OR_RETURN(auto addr, GetString(req.data, "primary_cluster_addr"));
  SecondaryState s;
  std::unique_ptr<SecondaryClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Role& perf = role(Type::kPerformance);
    if (!perf.secondary.has_value()) {
      return InvalidArgument("this cluster is not a performance secondary");
    }
    s = *perf.secondary;
    client = std::move(perf.client);
  }
  if (client) client->Stop();
  RETURN_IF_ERROR(EnsureClusterTls());
  PrimaryState p;
  p.cluster_id = s.cluster_id;
  p.primary_cluster_addr = addr.value_or("");
  p.generation = s.generation + 1;
  ASSIGN_OR_RETURN(p.ca, cluster::NewCa("coffer performance CA " + p.cluster_id.substr(0, 8)));
  ASSIGN_OR_RETURN(p.signing_key, crypto::RandomBytes(32));
  RETURN_IF_ERROR(SetSecondaryMarker(Type::kPerformance, false));
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), Type::kPerformance, p));
  RETURN_IF_ERROR(core_.barrier().Delete(SecondaryStateKey(Type::kPerformance)));
  bool canary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    role(Type::kPerformance).secondary.reset();
    role(Type::kPerformance).primary = std::move(p);
    canary = WritesCanary();
  }
  (void)RestartServer("performance promote");
  if (canary) StartCanary();
  COFFER_LOG(kInfo, "replication") << "performance secondary promoted to primary";
  return WithWarning("This cluster is now the performance primary; other secondaries need new "
                     "activation tokens (update-primary).");
}

Result<Response> Manager::SecondaryDisable(Type t) {
  std::unique_ptr<SecondaryClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!role(t).secondary.has_value()) {
      return InvalidArgument("this cluster is not a " + Kind(t) + " secondary");
    }
    client = std::move(role(t).client);
  }
  if (client) client->Stop();
  RETURN_IF_ERROR(core_.barrier().Delete(SecondaryStateKey(t)));
  RETURN_IF_ERROR(SetSecondaryMarker(t, false));
  std::lock_guard<std::mutex> lock(mu_);
  role(t).secondary.reset();
  COFFER_LOG(kInfo, "replication") << TypeName(t) << " replication disabled (was secondary)";
  return Empty();
}

Result<Response> Manager::UpdatePrimary(Type t, const Request& req) {
  ASSIGN_OR_RETURN(auto token, GetString(req.data, "token"));
  if (token.has_value()) token = Trimmed(std::move(*token));
  ASSIGN_OR_RETURN(auto addrs, GetStringList(req.data, "update_primary_addrs"));
  const bool has_token = req.data.is_object() && req.data.contains("token");
  if (has_token && addrs.has_value() && !addrs->empty()) {
    return InvalidArgument("token and update_primary_addrs are mutually exclusive");
  }
  SecondaryState s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!role(t).secondary.has_value()) {
      return InvalidArgument("this cluster is not a " + Kind(t) + " secondary");
    }
    s = *role(t).secondary;
  }
  if (has_token && token.value_or("").empty()) {
    s.connect = false;  // forget the primary until the next update-primary
  } else if (has_token) {
    ASSIGN_OR_RETURN(ActivationPackage pkg, Unwrap(t, req, *token));
    if (pkg.cluster_id != s.cluster_id) {
      return InvalidArgument("the activation token belongs to another replication set (cluster id " +
                             pkg.cluster_id + ", this secondary follows " + s.cluster_id + ")");
    }
    const uint64_t known_generation = s.generation;
    AdoptPackage(pkg, s);
    s.generation = std::max(known_generation, pkg.generation);
  } else if (addrs.has_value() && !addrs->empty()) {
    if (s.server_ca_pem.empty()) {
      return InvalidArgument("this secondary has no credentials for a primary; use a token");
    }
    s.primary_cluster_addr = WithScheme(addrs->front());
    s.known_primary_cluster_addrs.clear();
    for (const std::string& a : *addrs) s.known_primary_cluster_addrs.push_back(WithScheme(a));
    s.connect = true;
  } else {
    return InvalidArgument("either token or update_primary_addrs is required");
  }
  RETURN_IF_ERROR(SaveSecondary(core_.barrier(), t, s));
  std::unique_ptr<SecondaryClient> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(role(t).client);
    role(t).secondary = s;
  }
  if (old) old->Stop();
  if (s.connect) {
    if (t == Type::kPerformance) {
      auto pos = core_.replicated_log().LoadUpstream(TypeName(t));
      if (pos.ok() && pos->has_value()) NoteAppliedUpTo((*pos)->index);
    }
    std::lock_guard<std::mutex> lock(mu_);
    role(t).client = StartClient(t, s);
  }
  COFFER_LOG(kInfo, "replication") << TypeName(t) << " secondary re-pointed"
                                   << (s.connect ? " to " + s.primary_cluster_addr : "; no primary");
  return Empty();
}

}  // namespace coffer::replication
