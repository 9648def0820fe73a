#include "replication/manager.h"

#include <openssl/crypto.h>

#include <sstream>

#include "common/clock.h"
#include "common/duration.h"
#include "common/json_util.h"
#include "common/log.h"
#include "core/token_ttl.h"
#include "core/wrapping.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "http/client.h"
#include "http/render.h"
#include "replication/activation.h"
#include "replication/index_state.h"
#include "storage/storage_class.h"

namespace coffer::replication {
namespace {

constexpr char kPerf[] = "performance";
constexpr int64_t kDefaultActivationTtl = 30 * 60;
constexpr char kNever[] = "-62135596800";  // Go's zero time, as Vault prints "never"

bool IsWrite(Operation op) {
  return op == Operation::kCreate || op == Operation::kUpdate;
}

std::optional<Operation> ParseOperation(std::string_view name) {
  for (Operation op : {Operation::kRead, Operation::kList, Operation::kCreate, Operation::kUpdate,
                       Operation::kPatch, Operation::kDelete}) {
    if (name == OperationName(op)) return op;
  }
  return std::nullopt;
}

Response Empty() { return Response(); }

Response WithWarning(std::string warning) {
  Response r;
  r.warnings.push_back(std::move(warning));
  return r;
}

// A token pasted from a file or a terminal often ends in a newline.
std::string Trimmed(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws) == std::string::npos ? s.size() : s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

std::string TimeText(int64_t unix_ms) {
  return unix_ms <= 0 ? "" : core::FormatRfc3339(unix_ms / 1000);
}

std::string HexOr(const Result<std::string>& r) { return r.ok() ? crypto::HexEncode(*r) : ""; }

// What a secondary keeps of its activation package (not the root key).
void AdoptPackage(const ActivationPackage& pkg, SecondaryState& s) {
  s.cluster_id = pkg.cluster_id;
  s.secondary_id = pkg.secondary_id;
  s.primary_cluster_addr = pkg.primary_cluster_addr;
  s.primary_api_addr = pkg.primary_api_addr;
  s.known_primary_cluster_addrs = {pkg.primary_cluster_addr};
  s.server_ca_pem = pkg.server_ca_pem;
  s.client = cluster::CertKey{pkg.client_cert_pem, pkg.client_key_pem};
  s.generation = pkg.generation;
  s.connect = true;
}

// "https://127.0.0.1:8201" for a bound "127.0.0.1:8201".
std::string WithScheme(const std::string& addr) {
  return addr.find("://") == std::string::npos ? "https://" + addr : addr;
}

}  // namespace

Manager::Manager(core::Core& core, ManagerOptions options)
    : core_(core), options_(std::move(options)) {
  api_addr_ = options_.api_addr;
  invalidator_ = std::thread([this] { InvalidationLoop(); });
}

Manager::~Manager() {
  if (bootstrap_.joinable()) bootstrap_.join();
  {
    std::lock_guard<std::mutex> lock(inv_mu_);
    inv_stop_ = true;
  }
  inv_cv_.notify_all();
  if (invalidator_.joinable()) invalidator_.join();
  StopCanary();
  std::unique_ptr<SecondaryClient> client;
  std::vector<RetiredServer> retired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    client = std::move(client_);
    StopServer();
    retired = std::move(retired_);
  }
  if (client) client->Stop();
  for (RetiredServer& r : retired) r.thread.join();
}

void Manager::SetApiAddr(std::string addr) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.api_addr.empty()) api_addr_ = std::move(addr);
}

Status Manager::Open() {
  ASSIGN_OR_RETURN(auto marker, core_.replicated_log().Get(kPerfSecondaryMarker));
  if (marker.has_value()) core_.replicated_log().SetReplicatedReadOnly(true);
  return Status::Ok();
}

core::ReplicationHooks Manager::Hooks() {
  core::ReplicationHooks h;
  h.forward = [this](const Request& r, const Caller* c) { return Forward(r, c); };
  h.handle_sys = [this](const Request& r, const Caller* c) { return HandleSys(r, c); };
  h.health = [this] { return Health(); };
  h.check_index = [this](const Request& r) { return CheckIndex(r); };
  h.index_header = [this] { return IndexHeader(); };
  h.unsealed = [this] { Unsealed(); };
  h.sealing = [this] { Sealing(); };
  h.metrics = [this] { return Metrics(); };
  return h;
}

// ---------------------------------------------------------------- lifecycle

void Manager::Unsealed() {
  storage::Backend& barrier = core_.barrier();
  std::optional<SecondaryState> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending = std::move(pending_);
    pending_.reset();
  }
  if (pending.has_value()) {
    Status st = SaveSecondary(barrier, Type::kPerformance, *pending);
    if (!st.ok()) {
      COFFER_LOG(kError, "replication") << "could not store the secondary state: " << st.ToString();
    }
  }
  auto tls = LoadClusterTls(barrier);
  auto primary = LoadPrimary(barrier, Type::kPerformance);
  auto secondary = LoadSecondary(barrier, Type::kPerformance);
  if (!tls.ok() || !primary.ok() || !secondary.ok()) {
    COFFER_LOG(kError, "replication") << "could not load the replication state; replication stays off";
    return;
  }
  // The X-Vault-Index key: created by whoever may write replicated storage.
  std::string index_key;
  auto key = barrier.Get(kIndexKeyKey);
  if (key.ok() && key->has_value()) {
    index_key = **key;
  } else if (key.ok() && !core_.replicated_log().ReplicatedReadOnly()) {
    auto fresh = crypto::RandomBytes(32);
    if (fresh.ok() && barrier.Put(kIndexKeyKey, *fresh).ok()) index_key = *fresh;
  }
  std::unique_ptr<SecondaryClient> start_client;
  bool start_canary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index_key_ = std::move(index_key);
    tls_ = std::move(*tls);
    primary_ = std::move(*primary);
    secondary_ = std::move(*secondary);
    if (primary_.has_value()) {
      Status st = StartServer();
      if (!st.ok()) {
        COFFER_LOG(kError, "replication") << "cluster port: " << st.ToString();
      }
      start_canary = true;
    }
    if (secondary_.has_value()) {
      core_.replicated_log().SetReplicatedReadOnly(true);
      auto pos = core_.replicated_log().LoadUpstream(kPerf);
      if (pos.ok() && pos->has_value()) NoteAppliedUpTo((*pos)->index);
      if (secondary_->connect && !client_) {
        client_ = StartClient(*secondary_);
      }
    }
  }
  if (start_canary) StartCanary();
}

void Manager::Sealing() {
  StopCanary();
  std::unique_ptr<SecondaryClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    client = std::move(client_);
    StopServer(/*async=*/true);
    index_key_.clear();
  }
  if (client) client->Stop();
}

Status Manager::StartServer() {
  if (server_ != nullptr || !tls_.has_value()) return Status::Ok();
  // A server retired by a seal still holds the port until its shutdown ends
  // (about a second): wait for that, boundedly, before binding again.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (auto it = retired_.begin(); it != retired_.end();) {
    while (!it->done->load() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (it->done->load()) {
      it->thread.join();
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
  std::string client_cas;
  if (primary_.has_value()) client_cas += primary_->ca.cert_pem;
  if (client_cas.empty()) return Status::Ok();
  std::string listen = options_.cluster_listen.empty() ? "127.0.0.1:0" : options_.cluster_listen;
  if (bound_cluster_port_ != 0 && listen.ends_with(":0")) {
    listen = listen.substr(0, listen.size() - 1) + std::to_string(bound_cluster_port_);
  }
  ServiceHooks hooks;
  hooks.authorize = [this](const std::string& fp) { return Authorize(fp); };
  hooks.seen = [this](Type, const std::string& id, bool connected) {
    std::lock_guard<std::mutex> lock(mu_);
    SecondaryLink& link = links_[id];
    link.connected = connected;
    link.last_seen_ms = UnixMillis();
  };
  hooks.forward = [this](const PeerInfo& peer, const v1::ForwardRequest& req) {
    return RunForwarded(peer, req);
  };
  hooks.mount_classes = [this] {
    std::vector<MountEntry> mounts = core_.router().Entries(false);
    for (MountEntry& m : core_.router().Entries(true)) mounts.push_back(std::move(m));
    return storage::MountClassesFromEntries(mounts);
  };
  service_ = std::make_unique<ReplicationService>(&core_.replicated_log(), std::move(hooks));
  auto server = cluster::Server::Start(listen, cluster::ServerTls{tls_->server, client_cas},
                                       {service_.get()});
  if (!server.ok()) {
    service_.reset();
    return server.status();
  }
  server_ = std::move(*server);
  bound_cluster_port_ = server_->port();
  COFFER_LOG(kInfo, "replication") << "cluster listener ready on " << server_->address();
  return Status::Ok();
}

void Manager::StopServer(bool async) {
  if (service_) service_->Stop();
  for (auto& [id, link] : links_) link.connected = false;
  if (!server_) {
    service_.reset();
    return;
  }
  if (!async) {
    server_->Shutdown(std::chrono::milliseconds(1000));
    server_.reset();
    service_.reset();
    return;
  }
  // While the core is sealing it holds its state lock, and a forwarded
  // request in a handler may be waiting for that lock: the server is shut
  // down beside, and finishes once the handler has seen the node sealed.
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread t([server = std::move(server_), service = std::move(service_), done]() mutable {
    server->Shutdown(std::chrono::milliseconds(1000));
    server.reset();
    service.reset();
    done->store(true);
  });
  retired_.push_back(RetiredServer{std::move(t), std::move(done)});
}

std::string Manager::AdvertisedClusterAddr() {
  if (primary_.has_value() && !primary_->primary_cluster_addr.empty()) {
    return primary_->primary_cluster_addr;
  }
  if (!options_.cluster_addr.empty() && !options_.cluster_addr.ends_with(":0")) {
    return WithScheme(options_.cluster_addr);
  }
  if (server_) return WithScheme(server_->address());
  return "";
}

void Manager::StartCanary() {
  if (options_.canary_interval_s <= 0) return;
  std::lock_guard<std::mutex> lock(canary_mu_);
  if (!canary_stop_) return;
  canary_stop_ = false;
  canary_ = std::thread([this] { CanaryLoop(); });
}

void Manager::StopCanary() {
  {
    std::lock_guard<std::mutex> lock(canary_mu_);
    canary_stop_ = true;
  }
  canary_cv_.notify_all();
  if (canary_.joinable()) canary_.join();
}

void Manager::CanaryLoop() {
  std::unique_lock<std::mutex> lock(canary_mu_);
  while (!canary_cv_.wait_for(lock, std::chrono::seconds(options_.canary_interval_s),
                              [this] { return canary_stop_; })) {
    lock.unlock();
    if (!core_.Sealed()) {
      Status st = core_.barrier().Put(kCanaryKey, std::to_string(UnixMillis()));
      if (!st.ok()) {
        COFFER_LOG(kWarn, "replication") << "canary write failed: " << st.ToString();
      }
    }
    lock.lock();
  }
}

Status Manager::SetSecondaryMarker(bool on) {
  core_.replicated_log().SetReplicatedReadOnly(on);
  return on ? core_.replicated_log().Put(kPerfSecondaryMarker, "1")
            : core_.replicated_log().Delete(kPerfSecondaryMarker);
}

std::optional<PeerInfo> Manager::Authorize(const std::string& fingerprint) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!primary_.has_value()) return std::nullopt;
  for (const auto& [id, rec] : primary_->secondaries) {
    if (!crypto::ConstantTimeEqual(rec.fingerprint, fingerprint)) continue;
    PeerInfo peer;
    peer.type = Type::kPerformance;
    peer.secondary_id = id;
    peer.generation = primary_->generation;
    // The mount tables are read only for a secondary that has a filter
    // (this runs before every batch of every stream).
    auto f = primary_->filters.find(id);
    if (f != primary_->filters.end()) {
      std::vector<MountEntry> mounts = core_.router().Entries(false);
      for (MountEntry& m : core_.router().Entries(true)) mounts.push_back(std::move(m));
      peer.filter = PerformanceFilter(&f->second, mounts);
    }
    return peer;
  }
  return std::nullopt;
}

std::unique_ptr<SecondaryClient> Manager::StartClient(const SecondaryState& state) {
  auto client = std::make_unique<SecondaryClient>(
      Type::kPerformance, state, &core_.replicated_log(),
      ClientHooks{.applied = [this](std::vector<std::string> keys, uint64_t index) {
        EnqueueInvalidation(std::move(keys), index);
      }});
  client->Start();
  return client;
}

void Manager::NoteAppliedUpTo(uint64_t upstream_index) {
  std::lock_guard<std::mutex> lock(inv_mu_);
  inv_done_ = std::max(inv_done_, upstream_index);
}

void Manager::EnqueueInvalidation(std::vector<std::string> keys, uint64_t upstream_index) {
  {
    std::lock_guard<std::mutex> lock(inv_mu_);
    inv_queue_.emplace_back(upstream_index, std::move(keys));
  }
  inv_cv_.notify_all();
}

void Manager::InvalidationLoop() {
  std::unique_lock<std::mutex> lock(inv_mu_);
  while (true) {
    inv_cv_.wait(lock, [this] { return inv_stop_ || !inv_queue_.empty(); });
    if (inv_stop_) return;
    auto [index, keys] = std::move(inv_queue_.front());
    inv_queue_.pop_front();
    lock.unlock();
    if (!keys.empty()) core_.InvalidateKeys(keys);
    lock.lock();
    inv_done_ = std::max(inv_done_, index);
    inv_cv_.notify_all();
  }
}

bool Manager::WaitInvalidated(uint64_t index, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(inv_mu_);
  return inv_cv_.wait_until(lock, deadline, [&] { return inv_stop_ || inv_done_ >= index; }) &&
         inv_done_ >= index;
}

// ---------------------------------------------------------------- endpoints

Result<Response> Manager::HandleSys(const Request& req, const Caller* caller) {
  std::string_view path = req.path;
  if (path.starts_with("sys/")) path.remove_prefix(4);
  if (!path.starts_with("replication")) return NotFound("unsupported path");
  path.remove_prefix(std::string_view("replication").size());
  if (path.starts_with("/")) path.remove_prefix(1);

  if (path == "status") {
    return Response::Data(Json{{"dr", DrStatus()}, {"performance", PerformanceStatus()}});
  }
  if (path == "performance/status") return Response::Data(PerformanceStatus());
  if (path == "dr/status") return Response::Data(DrStatus());
  if (caller == nullptr) return PermissionDenied();

  std::string rest;
  if (path.starts_with("performance/")) {
    rest = std::string(path.substr(std::string_view("performance/").size()));
  } else if (path.starts_with("primary/") || path.starts_with("secondary/")) {
    rest = std::string(path);  // pre-DR names mean performance replication
  } else if (path.starts_with("dr/")) {
    return InvalidArgument("disaster recovery replication is not available on this server yet");
  } else {
    return NotFound("unsupported path");
  }

  if (rest.starts_with("primary/paths-filter/")) {
    std::string id = rest.substr(std::string_view("primary/paths-filter/").size());
    if (id.empty() || id.find('/') != std::string::npos) return NotFound("unsupported path");
    std::lock_guard<std::mutex> admin(admin_mu_);
    return PathsFilterOp(req, id);
  }
  if (!IsWrite(req.operation)) return Unsupported();
  std::lock_guard<std::mutex> admin(admin_mu_);
  if (rest == "primary/enable") return PrimaryEnable(req);
  if (rest == "primary/disable") return PrimaryDisable();
  if (rest == "primary/demote") return PrimaryDemote();
  if (rest == "primary/secondary-token") return SecondaryToken(req, caller);
  if (rest == "primary/revoke-secondary") return RevokeSecondary(req);
  if (rest == "secondary/enable") return SecondaryEnable(req);
  if (rest == "secondary/promote") return SecondaryPromote(req);
  if (rest == "secondary/disable") return SecondaryDisable();
  if (rest == "secondary/update-primary") return UpdatePrimary(req);
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

Result<Response> Manager::PrimaryEnable(const Request& req) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (primary_.has_value()) return InvalidArgument("performance replication is already enabled as a primary");
    if (secondary_.has_value() || bootstrapping_) {
      return InvalidArgument(
          "this cluster is a performance secondary; promote it instead of enabling it as a primary");
    }
  }
  ASSIGN_OR_RETURN(auto addr, GetString(req.data, "primary_cluster_addr"));
  RETURN_IF_ERROR(EnsureClusterTls());
  PrimaryState p;
  p.cluster_id = crypto::RandomUuid();
  p.primary_cluster_addr = addr.value_or("");
  ASSIGN_OR_RETURN(p.ca, cluster::NewCa("coffer performance CA " + p.cluster_id.substr(0, 8)));
  ASSIGN_OR_RETURN(p.signing_key, crypto::RandomBytes(32));
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), Type::kPerformance, p));
  {
    std::lock_guard<std::mutex> lock(mu_);
    primary_ = std::move(p);
    StopServer();  // restarts with the new set's CA among the trusted ones
    Status st = StartServer();
    if (!st.ok()) {
      COFFER_LOG(kError, "replication") << "cluster port: " << st.ToString();
      return WithWarning("performance primary enabled, but the cluster port could not "
                         "start: " + st.message());
    }
  }
  StartCanary();
  COFFER_LOG(kInfo, "replication") << "performance replication enabled as primary";
  return Empty();
}

Result<Response> Manager::PrimaryDisable() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!primary_.has_value()) return InvalidArgument("performance replication is not enabled as a primary");
  }
  RETURN_IF_ERROR(core_.barrier().Delete(PrimaryStateKey(Type::kPerformance)));
  StopCanary();
  std::lock_guard<std::mutex> lock(mu_);
  primary_.reset();
  StopServer();
  links_.clear();
  COFFER_LOG(kInfo, "replication") << "performance replication disabled (was primary)";
  return Empty();
}

Result<Response> Manager::PrimaryDemote() {
  SecondaryState s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!primary_.has_value()) return InvalidArgument("performance replication is not enabled as a primary");
    s.cluster_id = primary_->cluster_id;
    s.generation = primary_->generation;
    s.connect = false;
  }
  RETURN_IF_ERROR(SaveSecondary(core_.barrier(), Type::kPerformance, s));
  RETURN_IF_ERROR(core_.barrier().Delete(PrimaryStateKey(Type::kPerformance)));
  RETURN_IF_ERROR(SetSecondaryMarker(true));
  StopCanary();
  std::lock_guard<std::mutex> lock(mu_);
  primary_.reset();
  secondary_ = std::move(s);
  StopServer();
  COFFER_LOG(kInfo, "replication") << "performance primary demoted to a secondary with no primary";
  return Empty();
}

Result<Response> Manager::SecondaryToken(const Request& req, const Caller* caller) {
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
    if (!primary_.has_value()) return InvalidArgument("performance replication is not enabled as a primary");
    if (primary_->secondaries.count(*id) != 0) {
      return InvalidArgument("a secondary with ID \"" + *id +
                             "\" already exists; revoke it first to issue a new token");
    }
    p = *primary_;
    tls = *tls_;
    cluster_addr = AdvertisedClusterAddr();
    api_addr = api_addr_;
  }
  if (cluster_addr.empty()) return Unavailable("the cluster port is not listening");
  ASSIGN_OR_RETURN(cluster::CertKey client,
                   cluster::IssueCert(p.ca, "performance:" + *id, cluster::CertUsage::kClient));
  ASSIGN_OR_RETURN(std::string fingerprint, cluster::CertFingerprint(client.cert_pem));
  ASSIGN_OR_RETURN(std::string root_key, core_.barrier().RootKey());

  ActivationPackage pkg;
  pkg.type = Type::kPerformance;
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
  claims.type = Type::kPerformance;
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
                                        "sys/replication/performance/primary/secondary-token",
                                        token));
  SecondaryRecord rec;
  rec.id = *id;
  rec.fingerprint = fingerprint;
  rec.token_accessor = wrap.accessor;
  rec.issued_at = claims.issued_at;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!primary_.has_value()) return InvalidArgument("performance replication was disabled meanwhile");
    primary_->secondaries[*id] = rec;
    p = *primary_;
  }
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), Type::kPerformance, p));
  COFFER_LOG(kInfo, "replication") << "activation token issued for performance secondary " << *id;
  Response out;
  wrap.accessor.clear();  // Vault leaves wrapped_accessor/accessor empty here
  out.wrap_info = std::move(wrap);
  return out;
}

Result<Response> Manager::RevokeSecondary(const Request& req) {
  ASSIGN_OR_RETURN(auto id, GetString(req.data, "id"));
  if (!id.has_value() || id->empty()) return InvalidArgument("missing secondary ID");
  PrimaryState p;
  SecondaryRecord rec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!primary_.has_value()) return InvalidArgument("performance replication is not enabled as a primary");
    auto it = primary_->secondaries.find(*id);
    if (it == primary_->secondaries.end()) {
      return InvalidArgument("no secondary with ID \"" + *id + "\"");
    }
    rec = it->second;
    primary_->secondaries.erase(it);
    primary_->filters.erase(*id);
    links_.erase(*id);
    p = *primary_;
  }
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), Type::kPerformance, p));
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
  COFFER_LOG(kInfo, "replication") << "performance secondary " << *id << " revoked";
  return Empty();
}

Result<Response> Manager::PathsFilterOp(const Request& req, const std::string& id) {
  PrimaryState p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!primary_.has_value()) return InvalidArgument("performance replication is not enabled as a primary");
    p = *primary_;
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
  if (primary_.has_value()) primary_->filters = p.filters;
  return Empty();
}

Result<ActivationPackage> Manager::Unwrap(const Request& req, const std::string& token) {
  ASSIGN_OR_RETURN(ActivationClaims claims, DecodeActivationToken(token));
  if (claims.type != Type::kPerformance) {
    return InvalidArgument("the activation token is for " + std::string(TypeName(claims.type)) +
                           " replication, not performance");
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
  if (pkg.cluster_id != claims.cluster_id || pkg.secondary_id != claims.secondary_id) {
    return InvalidArgument("the activation package does not match its token");
  }
  if (pkg.primary_api_addr.empty()) pkg.primary_api_addr = api;
  return pkg;
}

Result<Response> Manager::SecondaryEnable(const Request& req) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (primary_.has_value()) {
      return InvalidArgument("this cluster is a performance primary; a primary cannot be enabled "
                             "as a secondary (disable or demote it first)");
    }
    if (secondary_.has_value() || bootstrapping_) {
      return InvalidArgument("this cluster is already a performance secondary; use update-primary");
    }
  }
  ASSIGN_OR_RETURN(auto token, GetString(req.data, "token"));
  if (token.has_value()) token = Trimmed(std::move(*token));
  if (!token.has_value() || token->empty()) return InvalidArgument("missing activation token");
  ASSIGN_OR_RETURN(ActivationPackage pkg, Unwrap(req, *token));
  SecondaryState s;
  AdoptPackage(pkg, s);
  BeginBootstrap(std::move(s), std::move(pkg.root_key));
  return WithWarning(
      "Secondary enabled: this cluster's data is being replaced with the primary's. "
      "It serves again once bootstrapped (mode \"secondary\" in sys/replication/performance/status); "
      "from now on it unseals with the primary's unseal keys, and a local root token comes from "
      "generate-root with them.");
}

void Manager::BeginBootstrap(SecondaryState state, std::string root_key) {
  if (bootstrap_.joinable()) bootstrap_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    bootstrapping_ = true;
    bootstrap_error_.clear();
  }
  // ReplaceStorage needs every request (this one included) to have left the
  // core, so it runs on its own thread once this request has answered.
  bootstrap_ = std::thread([this, state = std::move(state), root_key = std::move(root_key)]() mutable {
    COFFER_LOG(kInfo, "replication") << "bootstrapping as performance secondary "
                                     << state.secondary_id << " of " << state.primary_cluster_addr;
    Status st = core_.ReplaceStorage([&]() -> Result<std::string> {
      RETURN_IF_ERROR(SetSecondaryMarker(true));
      RETURN_IF_ERROR(core_.replicated_log().WipeData());
      SecondaryClient once(Type::kPerformance, state, &core_.replicated_log(), ClientHooks{});
      const int64_t started = UnixMillis();
      RETURN_IF_ERROR(once.Sync(options_.bootstrap_timeout));
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_ = state;
        bootstrap_keys_ = once.status().keys_fetched;
        bootstrap_ms_ = UnixMillis() - started;
      }
      return root_key;
    });
    OPENSSL_cleanse(root_key.data(), root_key.size());
    std::lock_guard<std::mutex> lock(mu_);
    bootstrapping_ = false;
    if (!st.ok()) {
      bootstrap_error_ = st.message();
      COFFER_LOG(kError, "replication") << "bootstrap failed: " << st.ToString();
    } else {
      COFFER_LOG(kInfo, "replication") << "bootstrap done; streaming from the primary";
    }
  });
}

Result<Response> Manager::SecondaryPromote(const Request& req) {
  ASSIGN_OR_RETURN(auto addr, GetString(req.data, "primary_cluster_addr"));
  SecondaryState s;
  std::unique_ptr<SecondaryClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!secondary_.has_value()) return InvalidArgument("this cluster is not a performance secondary");
    s = *secondary_;
    client = std::move(client_);
  }
  if (client) client->Stop();
  RETURN_IF_ERROR(EnsureClusterTls());
  PrimaryState p;
  p.cluster_id = s.cluster_id;
  p.primary_cluster_addr = addr.value_or("");
  p.generation = s.generation + 1;
  ASSIGN_OR_RETURN(p.ca, cluster::NewCa("coffer performance CA " + p.cluster_id.substr(0, 8)));
  ASSIGN_OR_RETURN(p.signing_key, crypto::RandomBytes(32));
  RETURN_IF_ERROR(SetSecondaryMarker(false));
  RETURN_IF_ERROR(SavePrimary(core_.barrier(), Type::kPerformance, p));
  RETURN_IF_ERROR(core_.barrier().Delete(SecondaryStateKey(Type::kPerformance)));
  {
    std::lock_guard<std::mutex> lock(mu_);
    secondary_.reset();
    primary_ = std::move(p);
    StopServer();
    Status st = StartServer();
    if (!st.ok()) {
      COFFER_LOG(kError, "replication") << "cluster port: " << st.ToString();
    }
  }
  StartCanary();
  COFFER_LOG(kInfo, "replication") << "performance secondary promoted to primary";
  return WithWarning("This cluster is now the performance primary; other secondaries need new "
                     "activation tokens (update-primary).");
}

Result<Response> Manager::SecondaryDisable() {
  std::unique_ptr<SecondaryClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!secondary_.has_value()) return InvalidArgument("this cluster is not a performance secondary");
    client = std::move(client_);
  }
  if (client) client->Stop();
  RETURN_IF_ERROR(core_.barrier().Delete(SecondaryStateKey(Type::kPerformance)));
  RETURN_IF_ERROR(SetSecondaryMarker(false));
  std::lock_guard<std::mutex> lock(mu_);
  secondary_.reset();
  COFFER_LOG(kInfo, "replication") << "performance replication disabled (was secondary)";
  return Empty();
}

Result<Response> Manager::UpdatePrimary(const Request& req) {
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
    if (!secondary_.has_value()) return InvalidArgument("this cluster is not a performance secondary");
    s = *secondary_;
  }
  if (has_token && token.value_or("").empty()) {
    s.connect = false;  // forget the primary until the next update-primary
  } else if (has_token) {
    ASSIGN_OR_RETURN(ActivationPackage pkg, Unwrap(req, *token));
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
  RETURN_IF_ERROR(SaveSecondary(core_.barrier(), Type::kPerformance, s));
  std::unique_ptr<SecondaryClient> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(client_);
    secondary_ = s;
  }
  if (old) old->Stop();
  if (s.connect) {
    auto pos = core_.replicated_log().LoadUpstream(kPerf);
    if (pos.ok() && pos->has_value()) NoteAppliedUpTo((*pos)->index);
    std::lock_guard<std::mutex> lock(mu_);
    client_ = StartClient(s);
  }
  return Empty();
}

// ---------------------------------------------------------------- status

Json Manager::PerformanceStatus() {
  storage::ReplicatedLog& log = core_.replicated_log();
  auto last = log.LastPosition();
  const uint64_t last_wal = last.ok() ? last->index : 0;
  const std::string merkle_root = HexOr(log.MerkleRoot(storage::StorageClass::kReplicated));
  std::lock_guard<std::mutex> lock(mu_);
  if (bootstrapping_) {
    Json j = {{"mode", "bootstrapping"}, {"state", "merkle-sync"}, {"last_wal", last_wal}};
    if (pending_.has_value()) j["cluster_id"] = pending_->cluster_id;
    return j;
  }
  Json common = {{"last_wal", last_wal},
                 {"merkle_root", merkle_root},
                 {"corrupted_merkle_tree", false},
                 {"last_corruption_check_epoch", kNever},
                 {"last_reindex_epoch", "0"},
                 {"ssct_generation_counter", 0}};
  if (primary_.has_value()) {
    Json j = common;
    j["mode"] = "primary";
    j["state"] = "running";
    j["cluster_id"] = primary_->cluster_id;
    j["primary_cluster_addr"] = primary_->primary_cluster_addr;
    j["last_performance_wal"] = last_wal;
    j["generation"] = primary_->generation;
    Json known = Json::array(), secondaries = Json::array();
    const int64_t now = UnixMillis();
    for (const auto& [id, rec] : primary_->secondaries) {
      known.push_back(id);
      auto link = links_.find(id);
      const bool connected = link != links_.end() && link->second.connected &&
                             now - link->second.last_seen_ms < 5000;
      secondaries.push_back(
          {{"node_id", id},
           {"api_address", ""},
           {"cluster_address", ""},
           {"connection_status", connected ? "connected" : "disconnected"},
           {"last_heartbeat", link == links_.end() ? "" : TimeText(link->second.last_seen_ms)},
           {"last_heartbeat_duration_ms", "0"},
           {"clock_skew_ms", "0"},
           {"replication_primary_canary_age_ms", "0"}});
    }
    j["known_secondaries"] = known;
    j["secondaries"] = secondaries;
    return j;
  }
  if (secondary_.has_value()) {
    Json j = common;
    ClientStatus cs = client_ ? client_->status() : ClientStatus{};
    j["mode"] = "secondary";
    j["state"] = cs.state;
    j["connection_state"] = cs.connection_state;
    j["cluster_id"] = secondary_->cluster_id;
    j["secondary_id"] = secondary_->secondary_id;
    j["primary_cluster_addr"] = secondary_->primary_cluster_addr;
    j["known_primary_cluster_addrs"] = secondary_->known_primary_cluster_addrs;
    auto pos = log.LoadUpstream(kPerf);
    const uint64_t remote = pos.ok() && pos->has_value() ? (*pos)->index : 0;
    const uint64_t applied_ms = pos.ok() && pos->has_value() ? (*pos)->commit_time_ms : 0;
    j["last_remote_wal"] = remote;
    j["last_start"] = cs.last_start_s > 0 ? core::FormatRfc3339(cs.last_start_s) : "";
    const int64_t now = UnixMillis();
    const uint64_t lag_entries = cs.primary_last_index > remote ? cs.primary_last_index - remote : 0;
    const int64_t lag_ms =
        lag_entries == 0 || cs.primary_last_commit_ms <= applied_ms
            ? 0
            : static_cast<int64_t>(cs.primary_last_commit_ms - applied_ms);
    const int64_t canary_age =
        applied_ms == 0 ? 0 : std::max<int64_t>(0, now + cs.clock_skew_ms - static_cast<int64_t>(applied_ms));
    j["lag_entries"] = lag_entries;
    j["lag_ms"] = lag_ms;
    j["primaries"] = Json::array(
        {{{"api_address", secondary_->primary_api_addr},
          {"cluster_address", secondary_->primary_cluster_addr},
          {"connection_status", cs.connection_state == "ready" ? "connected" : "disconnected"},
          {"last_heartbeat", TimeText(cs.last_heartbeat_ms)},
          {"last_heartbeat_duration_ms", "0"},
          {"clock_skew_ms", std::to_string(cs.clock_skew_ms)},
          {"replication_primary_canary_age_ms", std::to_string(canary_age)}}});
    if (cs.state == "merkle-sync") {
      j["merkle_sync_progress"] = {{"sync_progress", cs.sync_progress},
                                   {"sync_total_keys", cs.sync_total_keys}};
    }
    j["merkle_sync_stats"] = {{"syncs", cs.syncs},
                              {"keys_fetched", cs.keys_fetched},
                              {"keys_removed", cs.keys_removed}};
    j["stream_stats"] = {{"entries_applied", cs.entries_applied},
                         {"apply_batches", cs.apply_batches}};
    j["apply_lag_ms"] = {{"p50", cs.apply_lag_p50_ms},
                         {"p99", cs.apply_lag_p99_ms},
                         {"max", cs.apply_lag_max_ms},
                         {"samples", cs.lag_samples}};
    if (bootstrap_keys_ > 0 || bootstrap_ms_ > 0) {
      j["bootstrap"] = {{"keys_fetched", bootstrap_keys_}, {"duration_ms", bootstrap_ms_}};
    }
    if (!cs.last_error.empty()) j["last_error"] = cs.last_error;
    return j;
  }
  Json j = {{"mode", "disabled"}};
  if (!bootstrap_error_.empty()) j["last_error"] = bootstrap_error_;
  return j;
}

Json Manager::DrStatus() { return Json{{"mode", "disabled"}}; }

Json Manager::Health() {
  auto last = core_.replicated_log().LastPosition();
  std::string mode = "disabled";
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (bootstrapping_) {
      mode = "bootstrapping";
    } else if (primary_.has_value()) {
      mode = "primary";
    } else if (secondary_.has_value()) {
      mode = "secondary";
    }
  }
  return Json{{"replication_performance_mode", mode},
              {"replication_dr_mode", "disabled"},
              {"last_wal", last.ok() ? last->index : 0}};
}

std::string Manager::Metrics() {
  Json perf = PerformanceStatus();
  std::ostringstream out;
  const std::string mode = perf.value("mode", "disabled");
  out << "# HELP coffer_replication_performance_mode This cluster's performance replication mode.\n"
      << "# TYPE coffer_replication_performance_mode gauge\n";
  for (const char* m : {"disabled", "primary", "secondary", "bootstrapping"}) {
    out << "coffer_replication_performance_mode{mode=\"" << m << "\"} " << (mode == m ? 1 : 0)
        << "\n";
  }
  if (mode == "secondary") {
    auto num = [&](const char* key) { return perf.value(key, uint64_t{0}); };
    out << "# HELP coffer_replication_performance_last_remote_wal Last upstream WAL index applied.\n"
        << "# TYPE coffer_replication_performance_last_remote_wal gauge\n"
        << "coffer_replication_performance_last_remote_wal " << num("last_remote_wal") << "\n"
        << "# HELP coffer_replication_performance_lag_entries Upstream WAL entries not applied yet.\n"
        << "# TYPE coffer_replication_performance_lag_entries gauge\n"
        << "coffer_replication_performance_lag_entries " << num("lag_entries") << "\n"
        << "# HELP coffer_replication_performance_lag_ms Commit-time distance to the primary's newest entry.\n"
        << "# TYPE coffer_replication_performance_lag_ms gauge\n"
        << "coffer_replication_performance_lag_ms " << perf.value("lag_ms", int64_t{0}) << "\n";
    std::string canary = "0";
    if (perf.contains("primaries") && !perf["primaries"].empty()) {
      canary = perf["primaries"][0].value("replication_primary_canary_age_ms", "0");
    }
    out << "# HELP coffer_replication_performance_canary_age_ms Age of the newest primary write seen.\n"
        << "# TYPE coffer_replication_performance_canary_age_ms gauge\n"
        << "coffer_replication_performance_canary_age_ms " << canary << "\n"
        << "# HELP coffer_replication_performance_connected Whether the stream to the primary is up.\n"
        << "# TYPE coffer_replication_performance_connected gauge\n"
        << "coffer_replication_performance_connected "
        << (perf.value("connection_state", "") == "ready" ? 1 : 0) << "\n";
  }
  if (mode == "primary") {
    size_t connected = 0;
    for (const Json& s : perf["secondaries"]) {
      if (s.value("connection_status", "") == "connected") ++connected;
    }
    out << "# HELP coffer_replication_performance_known_secondaries Registered secondaries.\n"
        << "# TYPE coffer_replication_performance_known_secondaries gauge\n"
        << "coffer_replication_performance_known_secondaries " << perf["known_secondaries"].size()
        << "\n"
        << "# HELP coffer_replication_performance_connected_secondaries Secondaries streaming now.\n"
        << "# TYPE coffer_replication_performance_connected_secondaries gauge\n"
        << "coffer_replication_performance_connected_secondaries " << connected << "\n";
  }
  return out.str();
}

// ---------------------------------------------------------------- forwarding and indexes

Result<Response> Manager::Forward(const Request& req, const Caller* caller) {
  SecondaryClient* client = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!secondary_.has_value() || !client_) {
      return ReadOnly("cannot write to readonly storage: this performance secondary has no "
                      "primary to forward the request to");
    }
    client = client_.get();
  }
  v1::ForwardRequest f;
  f.set_operation(OperationName(req.operation));
  f.set_path(req.path);
  f.set_data_json(req.data.dump());
  for (const auto& [k, v] : req.headers) (*f.mutable_headers())[k] = v;
  f.set_request_id(req.request_id);
  f.set_remote_addr(req.remote_addr);
  if (req.wrap_ttl_seconds.has_value()) f.set_wrap_ttl_seconds(*req.wrap_ttl_seconds);
  if (caller != nullptr) {
    f.set_accessor(caller->accessor);
    for (const std::string& p : caller->policies) f.add_policies(p);
    f.set_display_name(caller->display_name);
    f.set_entity_id(caller->entity_id);
    f.set_meta_json(caller->meta.dump());
    f.set_root(caller->root);
  }
  // The client object lives until Sealing()/update-primary, which wait for
  // requests through the core's state lock; a stale pointer cannot be used.
  auto resp = client->Forward(f, std::chrono::seconds(30));
  if (!resp.ok()) {
    COFFER_LOG(kWarn, "replication") << "forwarding " << req.path << " to the primary failed: "
                                     << resp.status().message();
    return Unavailable("error forwarding the request to the performance primary: " +
                       resp.status().message());
  }
  Response out;
  out.kind = Response::Kind::kRaw;
  out.status = static_cast<int>(resp->status_code());
  out.raw_body = resp->body();
  out.raw_content_type = resp->content_type().empty() ? "application/json" : resp->content_type();
  for (const auto& [k, v] : resp->headers()) out.headers[k] = v;
  // Read-your-writes: the data is applied and what memory holds of it (mount
  // tables, policies) is refreshed before the client hears back.
  // A refused request wrote nothing: no need to wait.
  const auto deadline = std::chrono::steady_clock::now() + options_.wal_wait;
  const bool reached =
      out.status >= 400 ||
      (core_.replicated_log().WaitForUpstream(kPerf, resp->wal_index(), options_.wal_wait) &&
       WaitInvalidated(resp->wal_index(), deadline));
  if (!reached) {
    COFFER_LOG(kWarn, "replication") << "forwarded write to " << req.path << " not yet replicated "
                                     << "here after " << options_.wal_wait.count() << " ms (wal index "
                                     << resp->wal_index() << ")";
    Json body = Json::parse(out.raw_body, nullptr, false);
    if (body.is_object()) {
      if (!body.contains("warnings") || !body["warnings"].is_array()) body["warnings"] = Json::array();
      body["warnings"].push_back("the write was applied on the primary but had not reached this "
                                 "secondary within " + std::to_string(options_.wal_wait.count()) +
                                 " ms; a read here may not see it yet");
      out.raw_body = body.dump();
    }
  }
  return out;
}

Result<v1::ForwardResponse> Manager::RunForwarded(const PeerInfo& peer,
                                                  const v1::ForwardRequest& f) {
  Request req;
  std::optional<Operation> op = ParseOperation(f.operation());
  if (!op.has_value()) return InvalidArgument("unknown operation " + f.operation());
  req.operation = *op;
  req.path = f.path();
  req.data = Json::parse(f.data_json(), nullptr, false);
  if (req.data.is_discarded()) return InvalidArgument("forwarded request body is not JSON");
  for (const auto& [k, v] : f.headers()) req.headers[k] = v;
  req.request_id = f.request_id().empty() ? http::NewRequestId() : f.request_id();
  req.remote_addr = f.remote_addr();
  if (f.wrap_ttl_seconds() > 0) req.wrap_ttl_seconds = f.wrap_ttl_seconds();
  Caller caller;
  caller.accessor = f.accessor();
  caller.policies.assign(f.policies().begin(), f.policies().end());
  caller.display_name = f.display_name();
  caller.entity_id = f.entity_id();
  caller.meta = Json::parse(f.meta_json().empty() ? "null" : f.meta_json(), nullptr, false);
  if (caller.meta.is_discarded()) caller.meta = nullptr;
  caller.root = f.root();
  COFFER_LOG(kDebug, "replication") << "forwarded " << f.operation() << " " << f.path()
                                    << " from secondary " << peer.secondary_id;
  Result<Response> handled = core_.HandleForwarded(req, caller);
  http::HttpResponse rendered = handled.ok() ? http::RenderResponse(req, *handled, req.request_id)
                                             : http::RenderError(handled.status());
  v1::ForwardResponse out;
  out.set_status_code(static_cast<uint32_t>(rendered.status));
  out.set_body(rendered.body);
  for (const auto& [k, v] : rendered.headers) {
    if (k == "Content-Type") {
      out.set_content_type(v);
    } else if (k != "Cache-Control" && k != "Content-Length") {
      (*out.mutable_headers())[k] = v;
    }
  }
  auto last = core_.replicated_log().LastPosition();
  out.set_wal_index(last.ok() ? last->index : 0);
  return out;
}

uint64_t Manager::ReplicatedIndex() {
  bool secondary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    secondary = secondary_.has_value();
  }
  if (secondary) {
    auto pos = core_.replicated_log().LoadUpstream(kPerf);
    return pos.ok() && pos->has_value() ? (*pos)->index : 0;
  }
  auto last = core_.replicated_log().LastPosition();
  return last.ok() ? last->index : 0;
}

std::string Manager::IndexClusterId() {
  std::lock_guard<std::mutex> lock(mu_);
  if (primary_.has_value()) return primary_->cluster_id;
  if (secondary_.has_value()) return secondary_->cluster_id;
  return core_.cluster_info().id;
}

std::string Manager::IndexHeader() {
  std::string key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    key = index_key_;
  }
  if (key.empty()) return "";
  IndexState s;
  s.cluster_id = IndexClusterId();
  if (s.cluster_id.empty()) return "";
  auto last = core_.replicated_log().LastPosition();
  s.local_index = last.ok() ? last->index : 0;
  s.replicated_index = ReplicatedIndex();
  return EncodeIndexState(s, key);
}

Status Manager::CheckIndex(const Request& req) {
  auto it = req.headers.find("x-vault-index");
  if (it == req.headers.end() || it->second.empty()) return Status::Ok();
  std::string key;
  bool secondary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    key = index_key_;
    secondary = secondary_.has_value();
  }
  if (key.empty()) return Status::Ok();
  const std::string cluster_id = IndexClusterId();
  uint64_t required = 0;
  for (const std::string& value : SplitIndexHeader(it->second)) {
    ASSIGN_OR_RETURN(IndexState s, DecodeIndexState(value, key));
    if (s.cluster_id != cluster_id) continue;  // another set's state says nothing here
    required = std::max(required, s.replicated_index);
  }
  if (required == 0 || ReplicatedIndex() >= required) return Status::Ok();
  bool reached = false;
  if (secondary) {
    reached = core_.replicated_log().WaitForUpstream(kPerf, required, options_.wal_wait);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + options_.wal_wait;
    while (!reached && std::chrono::steady_clock::now() < deadline) {
      core_.replicated_log().WaitForCommitAfter(required - 1, std::chrono::milliseconds(100));
      reached = ReplicatedIndex() >= required;
    }
  }
  if (!reached) return Status(Code::kPreconditionFailed, "required index state not present");
  return Status::Ok();
}

}  // namespace coffer::replication
