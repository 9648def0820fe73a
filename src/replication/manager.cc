#include "replication/manager.h"

#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/time_format.h"
#include "core/token_ttl.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "http/client.h"
#include "http/render.h"
#include "replication/index_state.h"
#include "replication/manager_internal.h"
#include "storage/storage_class.h"

namespace coffer::replication {

namespace internal {

std::string Trimmed(std::string s) {
  const char* ws = " \t\r\n";
  const size_t first = s.find_first_not_of(ws);
  s.erase(0, first == std::string::npos ? s.size() : first);
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

std::string TimeText(int64_t unix_ms) {
  return unix_ms <= 0 ? "" : FormatRfc3339(unix_ms / 1000);
}

std::string WithScheme(const std::string& addr) {
  return addr.find("://") == std::string::npos ? "https://" + addr : addr;
}

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

std::optional<Operation> ParseOperation(std::string_view name) {
  for (Operation op : {Operation::kRead, Operation::kList, Operation::kCreate, Operation::kUpdate,
                       Operation::kPatch, Operation::kDelete}) {
    if (name == OperationName(op)) return op;
  }
  return std::nullopt;
}

}  // namespace internal

using namespace internal;

namespace {
constexpr char kPerf[] = "performance";
}  // namespace

Manager::Manager(core::Core& core, ManagerOptions options)
    : core_(core), options_(std::move(options)) {
  api_addr_ = options_.api_addr;
  invalidator_ = std::thread([this] { InvalidationLoop(); });
}

Manager::~Manager() {
  if (background_.joinable()) background_.join();
  {
    std::lock_guard<std::mutex> lock(inv_mu_);
    inv_stop_ = true;
  }
  inv_cv_.notify_all();
  if (invalidator_.joinable()) invalidator_.join();
  StopCanary();
  std::vector<std::unique_ptr<SecondaryClient>> clients;
  std::vector<RetiredServer> retired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Role& r : roles_) clients.push_back(std::move(r.client));
    // Shut the server down beside: a stream handler still running calls the
    // `seen` hook, which takes mu_, and Shutdown waits for the handlers; both
    // under mu_ would never finish (a primary with a streaming secondary hung
    // on SIGTERM). The retired thread is joined below, after mu_ is released.
    StopServer();
    retired = std::move(retired_);
  }
  for (auto& c : clients) {
    if (c) c->Stop();
  }
  for (RetiredServer& r : retired) r.thread.join();
}

void Manager::SetApiAddr(std::string addr) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.api_addr.empty()) api_addr_ = std::move(addr);
}

Status Manager::Open() {
  storage::ReplicatedLog& log = core_.replicated_log();
  ASSIGN_OR_RETURN(auto dr, log.Get(kDrSecondaryMarker));
  if (dr.has_value()) {
    dr_secondary_ = true;
    log.SetReadOnly(storage::ReadOnlyMode::kAll);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(auto marker, log.Get(kPerfSecondaryMarker));
  if (marker.has_value()) log.SetReplicatedReadOnly(true);
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
  h.dr_secondary = [this] { return dr_secondary_.load(std::memory_order_relaxed); };
  return h;
}

bool Manager::DrSecondaryLocked() const {
  const Role& dr = roles_[static_cast<size_t>(Type::kDr)];
  return dr.secondary.has_value() || dr.bootstrapping;
}

// ---------------------------------------------------------------- lifecycle

void Manager::Unsealed() {
  storage::Backend& barrier = core_.barrier();
  storage::ReplicatedLog& log = core_.replicated_log();
  std::optional<SecondaryState> pending[2];
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Type t : {Type::kPerformance, Type::kDr}) {
      pending[static_cast<size_t>(t)] = std::move(role(t).pending);
      role(t).pending.reset();
    }
  }
  for (Type t : {Type::kPerformance, Type::kDr}) {
    if (!pending[static_cast<size_t>(t)].has_value()) continue;
    Status st = SaveSecondary(barrier, t, *pending[static_cast<size_t>(t)]);
    if (!st.ok()) {
      COFFER_LOG(kError, "replication") << "could not store the " << TypeName(t)
                                        << " secondary state: " << st.ToString();
    }
  }
  auto tls = LoadClusterTls(barrier);
  auto dr_secondary = LoadSecondary(barrier, Type::kDr);
  if (!tls.ok() || !dr_secondary.ok()) {
    COFFER_LOG(kError, "replication") << "could not load the replication state; replication stays off";
    return;
  }
  if (dr_secondary->has_value()) {
    // A DR secondary holds its primary's role states too (they replicate to
    // it, so a promotion carries on with them); none of them runs here.
    log.SetReadOnly(storage::ReadOnlyMode::kAll);
    std::lock_guard<std::mutex> lock(mu_);
    tls_ = std::move(*tls);
    role(Type::kPerformance) = Role{};
    role(Type::kDr).primary.reset();
    role(Type::kDr).secondary = std::move(**dr_secondary);
    dr_secondary_ = true;
    if (role(Type::kDr).secondary->connect && !role(Type::kDr).client) {
      role(Type::kDr).client = StartClient(Type::kDr, *role(Type::kDr).secondary);
    }
    return;
  }
  auto perf_primary = LoadPrimary(barrier, Type::kPerformance);
  auto perf_secondary = LoadSecondary(barrier, Type::kPerformance);
  auto dr_primary = LoadPrimary(barrier, Type::kDr);
  if (!perf_primary.ok() || !perf_secondary.ok() || !dr_primary.ok()) {
    COFFER_LOG(kError, "replication") << "could not load the replication state; replication stays off";
    return;
  }
  // The X-Vault-Index key: created by whoever may write replicated storage.
  std::string index_key;
  auto key = barrier.Get(kIndexKeyKey);
  if (key.ok() && key->has_value()) {
    index_key = **key;
  } else if (key.ok() && !log.ReplicatedReadOnly()) {
    auto fresh = crypto::RandomBytes(32);
    if (fresh.ok() && barrier.Put(kIndexKeyKey, *fresh).ok()) index_key = *fresh;
  }
  bool start_canary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dr_secondary_ = false;
    index_key_ = index_key.empty()
                     ? nullptr
                     : std::make_shared<const crypto::HmacSha256Key>(index_key);
    tls_ = std::move(*tls);
    role(Type::kPerformance).primary = std::move(*perf_primary);
    role(Type::kPerformance).secondary = std::move(*perf_secondary);
    role(Type::kDr).primary = std::move(*dr_primary);
    role(Type::kDr).secondary.reset();
    if (role(Type::kPerformance).primary.has_value() || role(Type::kDr).primary.has_value()) {
      Status st = StartServer();
      if (!st.ok()) {
        COFFER_LOG(kError, "replication") << "cluster port: " << st.ToString();
      }
    }
    Role& perf = role(Type::kPerformance);
    if (perf.secondary.has_value()) {
      log.SetReplicatedReadOnly(true);
      auto pos = log.LoadUpstream(kPerf);
      if (pos.ok() && pos->has_value()) NoteAppliedUpTo((*pos)->index);
      if (perf.secondary->connect && !perf.client) {
        perf.client = StartClient(Type::kPerformance, *perf.secondary);
      }
    }
    start_canary = WritesCanary();
  }
  if (start_canary) StartCanary();
}

void Manager::Sealing() {
  StopCanary();
  std::vector<std::unique_ptr<SecondaryClient>> clients;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Role& r : roles_) clients.push_back(std::move(r.client));
    StopServer();
    index_key_.reset();
  }
  for (auto& c : clients) {
    if (c) c->Stop();
  }
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
  // Each set's CA signs its secondaries' client certificates.
  std::string client_cas;
  for (const Role& r : roles_) {
    if (r.primary.has_value()) client_cas += r.primary->ca.cert_pem;
  }
  if (client_cas.empty()) return Status::Ok();
  std::string listen = options_.cluster_listen.empty() ? "127.0.0.1:0" : options_.cluster_listen;
  if (bound_cluster_port_ != 0 && listen.ends_with(":0")) {
    listen = listen.substr(0, listen.size() - 1) + std::to_string(bound_cluster_port_);
  }
  ServiceHooks hooks;
  hooks.authorize = [this](const std::string& fp) { return Authorize(fp); };
  hooks.seen = [this](Type t, const std::string& id, bool connected, uint64_t sent_index) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      SecondaryLink& link = role(t).links[id];
      link.connected = connected;
      link.last_seen_ms = UnixMillis();
      link.sent_index = sent_index;
    }
    links_cv_.notify_all();
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

void Manager::StopServer() {
  if (service_) service_->Stop();
  for (Role& r : roles_) {
    for (auto& [id, link] : r.links) link.connected = false;
  }
  if (!server_) {
    service_.reset();
    return;
  }
  // The caller holds mu_ (and, sealing, the core's state lock): a stream
  // handler still running takes mu_ in its hooks and a forwarded request may
  // wait for the state lock, while the shutdown waits for the handlers. So
  // the server is shut down beside, and finishes once they have returned.
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread t([server = std::move(server_), service = std::move(service_), done]() mutable {
    server->Shutdown(std::chrono::milliseconds(1000));
    server.reset();
    service.reset();
    done->store(true);
  });
  retired_.push_back(RetiredServer{std::move(t), std::move(done)});
}

Status Manager::RestartServer(const char* why) {
  std::unique_ptr<cluster::Server> old_server;
  std::unique_ptr<ReplicationService> old_service;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (service_) service_->Stop();
    for (Role& r : roles_) {
      for (auto& [id, link] : r.links) link.connected = false;
    }
    old_server = std::move(server_);
    old_service = std::move(service_);
  }
  // Outside mu_: running stream handlers call the authorize and seen hooks,
  // which take it, and the shutdown waits for them.
  if (old_server) old_server->Shutdown(std::chrono::milliseconds(1000));
  old_server.reset();
  old_service.reset();
  std::lock_guard<std::mutex> lock(mu_);
  Status st = StartServer();
  if (!st.ok()) {
    COFFER_LOG(kError, "replication") << "cluster port (" << why << "): " << st.ToString();
  }
  return st;
}

std::string Manager::AdvertisedClusterAddr(Type t) {
  const Role& r = role(t);
  if (r.primary.has_value() && !r.primary->primary_cluster_addr.empty()) {
    return r.primary->primary_cluster_addr;
  }
  if (!options_.cluster_addr.empty() && !options_.cluster_addr.ends_with(":0")) {
    return WithScheme(options_.cluster_addr);
  }
  if (server_) return WithScheme(server_->address());
  return "";
}

bool Manager::WritesCanary() {
  if (DrSecondaryLocked() || role(Type::kPerformance).secondary.has_value()) return false;
  return role(Type::kPerformance).primary.has_value() || role(Type::kDr).primary.has_value();
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

Status Manager::SetSecondaryMarker(Type t, bool on) {
  storage::ReplicatedLog& log = core_.replicated_log();
  const char* key = t == Type::kDr ? kDrSecondaryMarker : kPerfSecondaryMarker;
  if (t == Type::kDr) {
    dr_secondary_ = on;
    log.SetReadOnly(on ? storage::ReadOnlyMode::kAll : storage::ReadOnlyMode::kNone);
  } else {
    log.SetReplicatedReadOnly(on);
  }
  return on ? log.Put(key, "1") : log.Delete(key);
}

std::optional<PeerInfo> Manager::Authorize(const std::string& fingerprint) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Type t : {Type::kPerformance, Type::kDr}) {
    const Role& r = role(t);
    if (!r.primary.has_value()) continue;
    for (const auto& [id, rec] : r.primary->secondaries) {
      if (!crypto::ConstantTimeEqual(rec.fingerprint, fingerprint)) continue;
      PeerInfo peer;
      peer.type = t;
      peer.secondary_id = id;
      peer.generation = r.primary->generation;
      if (t == Type::kDr) {
        peer.filter = DrFilter();  // everything but node keys
        return peer;
      }
      // The mount tables are read only for a secondary that has a filter
      // (this runs before every batch of every stream).
      auto f = r.primary->filters.find(id);
      if (f != r.primary->filters.end()) {
        std::vector<MountEntry> mounts = core_.router().Entries(false);
        for (MountEntry& m : core_.router().Entries(true)) mounts.push_back(std::move(m));
        peer.filter = PerformanceFilter(&f->second, mounts);
      }
      return peer;
    }
  }
  return std::nullopt;
}

std::unique_ptr<SecondaryClient> Manager::StartClient(Type t, const SecondaryState& state) {
  auto client = std::make_unique<SecondaryClient>(
      t, state, &core_.replicated_log(),
      ClientHooks{.applied = [this, t](std::vector<std::string> keys, uint64_t index) {
        EnqueueInvalidation(t, std::move(keys), index);
      }});
  client->Start();
  return client;
}

void Manager::NoteAppliedUpTo(uint64_t upstream_index) {
  std::lock_guard<std::mutex> lock(inv_mu_);
  inv_done_ = std::max(inv_done_, upstream_index);
}

void Manager::EnqueueInvalidation(Type t, std::vector<std::string> keys, uint64_t upstream_index) {
  {
    std::lock_guard<std::mutex> lock(inv_mu_);
    // Only the performance position orders forwarded writes (WaitInvalidated).
    inv_queue_.emplace_back(t == Type::kPerformance ? upstream_index : 0, std::move(keys));
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
    NoteGenerations();
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

void Manager::NoteGenerations() {
  for (Type t : {Type::kPerformance, Type::kDr}) {
    std::optional<SecondaryState> updated;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Role& r = role(t);
      if (!r.secondary.has_value() || !r.client) continue;
      const uint64_t heard = r.client->status().primary_generation;
      if (heard <= r.secondary->generation) continue;
      r.secondary->generation = heard;
      updated = *r.secondary;
    }
    Status st = SaveSecondary(core_.barrier(), t, *updated);
    if (st.ok()) {
      COFFER_LOG(kInfo, "replication") << TypeName(t) << " secondary now at generation "
                                       << updated->generation << " of its set";
    } else {
      COFFER_LOG(kWarn, "replication") << "could not store the set generation: " << st.ToString();
    }
  }
}

// ---------------------------------------------------------------- forwarding and indexes

Result<Response> Manager::Forward(const Request& req, const Caller* caller) {
  SecondaryClient* client = nullptr;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Role& perf = role(Type::kPerformance);
    if (!perf.secondary.has_value() || !perf.client) {
      return ReadOnly("cannot write to readonly storage: this performance secondary has no "
                      "primary to forward the request to");
    }
    client = perf.client.get();
    generation = perf.secondary->generation;
  }
  v1::ForwardRequest f;
  f.set_operation(OperationName(req.operation));
  f.set_path(req.path);
  f.set_data_json(req.data.dump());
  for (const auto& [k, v] : req.headers) (*f.mutable_headers())[k] = v;
  f.set_request_id(req.request_id);
  f.set_remote_addr(req.remote_addr);
  f.set_generation(generation);
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
  if (peer.type != Type::kPerformance) {
    return PermissionDenied("only performance secondaries forward requests");
  }
  if (f.generation() > peer.generation) {
    // A newer primary of this set exists: this one must not take writes.
    COFFER_LOG(kWarn, "replication") << "refused a request forwarded by " << peer.secondary_id
                                     << ": it follows generation " << f.generation()
                                     << " of the set, this primary is at " << peer.generation;
    return Status(Code::kPreconditionFailed, "this primary is fenced: the replication set has a newer primary "
                              "(generation " + std::to_string(f.generation()) + ")");
  }
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
    secondary = role(Type::kPerformance).secondary.has_value();
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
  const Role& perf = role(Type::kPerformance);
  if (perf.primary.has_value()) return perf.primary->cluster_id;
  if (perf.secondary.has_value()) return perf.secondary->cluster_id;
  return core_.cluster_info().id;
}

std::string Manager::IndexHeader() {
  std::shared_ptr<const crypto::HmacSha256Key> key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    key = index_key_;
  }
  if (!key) return "";
  IndexState s;
  s.cluster_id = IndexClusterId();
  if (s.cluster_id.empty()) return "";
  auto last = core_.replicated_log().LastPosition();
  s.local_index = last.ok() ? last->index : 0;
  s.replicated_index = ReplicatedIndex();
  return EncodeIndexState(s, *key);
}

Status Manager::CheckIndex(const Request& req) {
  auto it = req.headers.find("x-vault-index");
  if (it == req.headers.end() || it->second.empty()) return Status::Ok();
  std::shared_ptr<const crypto::HmacSha256Key> key;
  bool secondary = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    key = index_key_;
    secondary = role(Type::kPerformance).secondary.has_value();
  }
  if (!key) return Status::Ok();
  const std::string cluster_id = IndexClusterId();
  uint64_t required = 0;
  for (const std::string& value : SplitIndexHeader(it->second)) {
    ASSIGN_OR_RETURN(IndexState s, DecodeIndexState(value, *key));
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
