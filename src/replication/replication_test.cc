// Replication pieces below the manager: activation tokens, X-Vault-Index
// values, the stream filter and wire conversion, and the primary's gRPC
// service with a real secondary client over mutual TLS on loopback, between
// two replicated logs on in-memory backends.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "cluster/certs.h"
#include "cluster/dial.h"
#include "cluster/server.h"
#include "common/clock.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/hmac_key.h"
#include "replication/activation.h"
#include "replication/client.h"
#include "replication/index_state.h"
#include "replication/service.h"
#include "replication/stream_filter.h"
#include "storage/inmem_backend.h"
#include "storage/merkle_index.h"
#include "storage/replicated_log.h"

namespace coffer::replication {
namespace {

using storage::StorageClass;

// ------------------------------------------------------------ activation

ActivationClaims Claims() {
  ActivationClaims c;
  c.addr = "https://10.0.0.1:8200";
  c.cluster_addr = "https://10.0.0.1:8201";
  c.secondary_id = "eu-west";
  c.cluster_id = "7d1e2c4a-0b6f-4c1e-9a55-3f2d8e11aa01";
  c.issued_at = 1000;
  c.expires_at = 2800;
  c.nonce = "n0nce";
  return c;
}

TEST(Activation, TokenIsJwtShapedAndRoundTrips) {
  std::string token = EncodeActivationToken(Claims(), "k");
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  auto c = DecodeActivationToken(token);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->addr, "https://10.0.0.1:8200");
  EXPECT_EQ(c->secondary_id, "eu-west");
  EXPECT_EQ(c->type, Type::kPerformance);
  EXPECT_TRUE(VerifyActivationToken(token, "k", 2000).ok());
  EXPECT_EQ(VerifyActivationToken(token, "other", 2000).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(VerifyActivationToken(token, "k", 2800).status().message(), "activation token expired");
  EXPECT_NE(EncodeActivationToken(Claims(), "k"), EncodeActivationToken(Claims(), "k2"));
}

TEST(Activation, MalformedTokensAreClearErrors) {
  for (std::string bad : {"", "abc", "a.b", "a.b.c.d", "a.!!!.c", "a.bm90LWpzb24.c",
                          "a.e30.c" /* {} */}) {
    auto c = DecodeActivationToken(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find("invalid activation token"), std::string::npos);
  }
}

TEST(Activation, PackageRoundTripsAndRejectsIncomplete) {
  ActivationPackage p;
  p.cluster_id = "c";
  p.secondary_id = "s";
  p.primary_cluster_addr = "https://127.0.0.1:1";
  p.server_ca_pem = "ca";
  p.client_cert_pem = "cert";
  p.client_key_pem = "key";
  p.generation = 3;
  p.root_key = std::string(32, '\x07');
  auto back = PackageFromJson(PackageToJson(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->root_key, p.root_key);
  EXPECT_EQ(back->generation, 3u);
  Json j = PackageToJson(p);
  j.erase("client_key");
  EXPECT_FALSE(PackageFromJson(j).ok());
  j = PackageToJson(p);
  j["root_key"] = "c2hvcnQ=";
  EXPECT_FALSE(PackageFromJson(j).ok());
}

// ------------------------------------------------------------ X-Vault-Index

TEST(IndexState, EncodesVaultLayoutAndChecksTheMac) {
  IndexState s{"cid", 7, 42};
  const crypto::HmacSha256Key key("key");
  std::string v = EncodeIndexState(s, key);
  // base64("v1:cid:7:42:" + hex(HMAC-SHA256(key, "v1:cid:7:42")))
  EXPECT_EQ(v, crypto::Base64Encode("v1:cid:7:42:" +
                                    crypto::HexEncode(crypto::HmacSha256("key", "v1:cid:7:42"))));
  auto decoded = DecodeIndexState(v, key);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, s);
  EXPECT_FALSE(DecodeIndexState(v, crypto::HmacSha256Key("other-key")).ok());
  EXPECT_FALSE(DecodeIndexState("bm9wZQ==", key).ok());
  EXPECT_FALSE(DecodeIndexState("%%%", key).ok());
  EXPECT_EQ(SplitIndexHeader(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
}

// ------------------------------------------------------------ filter and wire

std::vector<MountEntry> Mounts() {
  MountEntry eu;
  eu.path = "eu/";
  eu.type = "kv";
  eu.uuid = "11111111-1111-1111-1111-111111111111";
  MountEntry us = eu;
  us.path = "us/";
  us.uuid = "22222222-2222-2222-2222-222222222222";
  MountEntry sys;
  sys.path = "sys/";
  sys.type = "system";
  sys.uuid = "33333333-3333-3333-3333-333333333333";
  return {eu, us, sys};
}

TEST(StreamFilter, DenyAndAllowModes) {
  auto mounts = Mounts();
  PathsFilter deny{"deny", {"eu/"}};
  StreamFilter f = PerformanceFilter(&deny, mounts);
  EXPECT_FALSE(f.Admits(StorageClass::kReplicated, mounts[0].StoragePrefix() + "x"));
  EXPECT_TRUE(f.Admits(StorageClass::kReplicated, mounts[1].StoragePrefix() + "x"));
  EXPECT_FALSE(f.Admits(StorageClass::kLocal, "sys/token/id/x"));
  EXPECT_FALSE(f.Admits(StorageClass::kNode, "node/x"));
  PathsFilter allow{"allow", {"eu/"}};
  f = PerformanceFilter(&allow, mounts);
  EXPECT_TRUE(f.Admits(StorageClass::kReplicated, mounts[0].StoragePrefix() + "x"));
  EXPECT_FALSE(f.Admits(StorageClass::kReplicated, mounts[1].StoragePrefix() + "x"));
  EXPECT_TRUE(f.Admits(StorageClass::kReplicated, "core/mounts"));  // tables always go
  EXPECT_TRUE(PerformanceFilter(nullptr, mounts).withheld.empty());
}

storage::WalEntry Entry() {
  storage::WalEntry e;
  e.index = 5;
  e.commit_time_ms = 123;
  e.prev_hash = std::string(32, '\x01');
  e.ops.push_back({storage::WalOp::Kind::kPut, StorageClass::kReplicated, "logical/a", "ct1"});
  e.ops.push_back({storage::WalOp::Kind::kPut, StorageClass::kLocal, "sys/token/id/x", "ct2"});
  e.ops.push_back({storage::WalOp::Kind::kDelete, StorageClass::kReplicated, "logical/b", ""});
  storage::SealWalEntry(e);
  return e;
}

TEST(Wire, UnfilteredEntryRoundTripsWithItsHashChecked) {
  storage::WalEntry e = Entry();
  StreamFilter all;
  all.replicated_only = false;
  v1::WalEntry w = ToWire(e, all);
  EXPECT_FALSE(w.redacted());
  auto back = FromWire(w);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
  // Corrupted bytes: refused, naming the entry.
  w.mutable_ops(0)->set_value("tampered");
  auto bad = FromWire(w);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_NE(bad.status().message().find("WAL entry 5"), std::string::npos);
  w = ToWire(e, all);
  w.set_hash("short");
  EXPECT_FALSE(FromWire(w).ok());
  w = ToWire(e, all);
  w.mutable_ops(0)->set_storage_class(static_cast<v1::StorageClass>(9));
  EXPECT_FALSE(FromWire(w).ok());
}

TEST(Wire, PerformanceStreamDropsLocalOpsAndMarksRedacted) {
  v1::WalEntry w = ToWire(Entry(), StreamFilter{});
  EXPECT_TRUE(w.redacted());
  ASSERT_EQ(w.ops_size(), 2);
  for (const auto& op : w.ops()) EXPECT_EQ(op.storage_class(), v1::STORAGE_CLASS_REPLICATED);
  EXPECT_TRUE(FromWire(w).ok());  // only the link can be checked
}

// ------------------------------------------------------------ service + client over mTLS

struct Set {
  cluster::CertKey server_ca, server, set_ca, client;
  std::string fingerprint;
};

Set MakeSet() {
  Set s;
  s.server_ca = *cluster::NewCa("server ca");
  s.server = *cluster::IssueCert(s.server_ca, cluster::kClusterServerName, cluster::CertUsage::kServer);
  s.set_ca = *cluster::NewCa("set ca");
  s.client = *cluster::IssueCert(s.set_ca, "performance:sec", cluster::CertUsage::kClient);
  s.fingerprint = *cluster::CertFingerprint(s.client.cert_pem);
  return s;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_ = MakeSet();
    ServiceHooks hooks;
    hooks.authorize = [this](const std::string& fp) -> std::optional<PeerInfo> {
      if (revoked_ || fp != set_.fingerprint) return std::nullopt;
      PeerInfo p;
      p.type = peer_type_;
      p.secondary_id = "sec";
      p.generation = primary_generation_;
      if (p.type == Type::kDr) p.filter = DrFilter();
      return p;
    };
    hooks.mount_classes = [] { return storage::MountClasses{}; };
    service_ = std::make_unique<ReplicationService>(&primary_log_, hooks);
    auto server = cluster::Server::Start("127.0.0.1:0",
                                         cluster::ServerTls{set_.server, set_.set_ca.cert_pem},
                                         {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (service_) service_->Stop();
    if (server_) server_->Shutdown(std::chrono::milliseconds(500));
  }

  SecondaryState State() {
    SecondaryState s;
    s.cluster_id = "cid";
    s.secondary_id = "sec";
    s.primary_cluster_addr = "https://" + server_->address();
    s.server_ca_pem = set_.server_ca.cert_pem;
    s.client = set_.client;
    return s;
  }

  std::unique_ptr<v1::Replication::Stub> Stub(const cluster::CertKey& client) {
    auto ch = cluster::Dial(server_->address(), cluster::DialTls{set_.server_ca.cert_pem, client});
    EXPECT_TRUE(ch.ok());
    return v1::Replication::NewStub(*ch);
  }

  Status Put(const std::string& key, const std::string& value) {
    return primary_log_.Write({storage::Op::Put(key, value)});
  }

  // FetchKeys as the registered secondary: which of `keys` read as present.
  std::vector<bool> Present(v1::StorageClass c, const std::vector<std::string>& keys) {
    auto stub = Stub(set_.client);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::FetchKeysRequest req;
    req.set_storage_class(c);
    for (const std::string& k : keys) req.add_keys(k);
    v1::FetchKeysResponse resp;
    grpc::Status st = stub->FetchKeys(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<bool> out;
    for (const v1::FetchedKey& k : resp.keys()) out.push_back(k.present());
    return out;
  }

  Set set_;
  storage::BackendPtr primary_physical_ = storage::NewInmemBackend();
  storage::BackendPtr secondary_physical_ = storage::NewInmemBackend();
  storage::ReplicatedLog primary_log_{primary_physical_.get(), {}};
  storage::ReplicatedLog secondary_log_{secondary_physical_.get(), {}};
  std::unique_ptr<ReplicationService> service_;
  std::unique_ptr<cluster::Server> server_;
  std::atomic<bool> revoked_{false};
  // What the registered secondary is, and this primary's generation.
  std::atomic<Type> peer_type_{Type::kPerformance};
  std::atomic<uint64_t> primary_generation_{1};
};

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST_F(ServiceTest, SecondaryBootstrapsStreamsAndConvergesOnlyOnTheReplicatedClass) {
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(Put("sys/policy/m" + std::to_string(i), "v").ok());
  ASSERT_TRUE(Put("sys/policy/p", "policy-ct").ok());
  ASSERT_TRUE(Put("sys/token/id/abc", "token-ct").ok());  // local: never shipped
  SecondaryClient client(Type::kPerformance, State(), &secondary_log_, {});
  ASSERT_TRUE(client.Sync(std::chrono::seconds(10)).ok());
  EXPECT_EQ(*secondary_log_.MerkleRoot(StorageClass::kReplicated),
            *primary_log_.MerkleRoot(StorageClass::kReplicated));
  EXPECT_FALSE(secondary_physical_->Get("sys/token/id/abc")->has_value());
  // Asked directly, a local key reads as absent to a performance peer.
  EXPECT_EQ(Present(v1::STORAGE_CLASS_REPLICATED, {"sys/token/id/abc", "sys/policy/p"}),
            (std::vector<bool>{false, true}));
  client.Start();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Put("sys/policy/q" + std::to_string(i), "x").ok());
  ASSERT_TRUE(primary_log_.Delete("sys/policy/p").ok());
  const uint64_t last = primary_log_.LastPosition()->index;
  ASSERT_TRUE(WaitFor([&] { return client.status().last_remote_wal >= last; },
                      std::chrono::seconds(10)));
  EXPECT_EQ(client.status().state, "stream-wals");
  EXPECT_EQ(*secondary_log_.MerkleRoot(StorageClass::kReplicated),
            *primary_log_.MerkleRoot(StorageClass::kReplicated));
  EXPECT_FALSE(secondary_physical_->Get("sys/policy/p")->has_value());
  EXPECT_EQ(**secondary_physical_->Get("sys/policy/q49"), "x");
  auto pos = secondary_log_.LoadUpstream("performance");
  ASSERT_TRUE(pos.ok() && pos->has_value());
  EXPECT_EQ((*pos)->index, last);
  // Revoked: the stream ends within a second and nothing more arrives.
  revoked_ = true;
  ASSERT_TRUE(WaitFor([&] { return client.status().state != "stream-wals"; },
                      std::chrono::seconds(5)));
  ASSERT_TRUE(Put("sys/policy/after-revoke", "x").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(secondary_physical_->Get("sys/policy/after-revoke")->has_value());
  client.Stop();
}

TEST_F(ServiceTest, FutureIndexIsAGapAndUnknownCertificatesAndOtherSetsAreRefused) {
  ASSERT_TRUE(Put("sys/policy/p", "v").ok());
  auto stub = Stub(set_.client);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::StreamWalsRequest req;
    req.set_after_index(1000);
    req.set_after_hash(std::string(32, '\0'));
    auto reader = stub->StreamWals(&ctx, req);
    // A secondary ahead of the primary followed another history (re-pointed
    // at a promoted cluster): a gap, resolved by Merkle diff, no entries.
    v1::StreamWalsResponse resp;
    ASSERT_TRUE(reader->Read(&resp));
    EXPECT_NE(resp.gap_reason().find("beyond this primary's last index"), std::string::npos)
        << resp.gap_reason();
    EXPECT_EQ(resp.entries_size(), 0);
    EXPECT_FALSE(reader->Read(&resp));
    EXPECT_TRUE(reader->Finish().ok());
  }
  {
    // A gap (another history at index 1): the stream says so and ends.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::StreamWalsRequest req;
    req.set_after_index(1);
    req.set_after_hash(std::string(32, '\x09'));
    auto reader = stub->StreamWals(&ctx, req);
    v1::StreamWalsResponse resp;
    ASSERT_TRUE(reader->Read(&resp));
    EXPECT_NE(resp.gap_reason(), "");
    EXPECT_FALSE(reader->Read(&resp));
    EXPECT_TRUE(reader->Finish().ok());
  }
  {
    // A certificate of the same set's CA but not registered: PERMISSION_DENIED.
    auto stranger = *cluster::IssueCert(set_.set_ca, "performance:stranger",
                                        cluster::CertUsage::kClient);
    auto other = Stub(stranger);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::MerkleDiffResponse resp;
    grpc::Status st = other->MerkleDiff(&ctx, v1::MerkleDiffRequest(), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    // A certificate from another replication set's CA: the TLS handshake fails.
    Set other_set = MakeSet();
    auto other = Stub(other_set.client);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::MerkleDiffResponse resp;
    grpc::Status st = other->MerkleDiff(&ctx, v1::MerkleDiffRequest(), &resp);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);  // never reached the handler
  }
  {
    // A performance peer may not read the local class.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::MerkleDiffRequest req;
    req.set_storage_class(v1::STORAGE_CLASS_LOCAL);
    v1::MerkleDiffResponse resp;
    EXPECT_EQ(stub->MerkleDiff(&ctx, req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(ServiceTest, ForeignHistoryFallsBackToDiffAndConverges) {
  // A secondary whose stored position claims a history the primary never
  // had gets a gap, falls back to a diff and converges anyway.
  ASSERT_TRUE(Put("sys/policy/a", "1").ok());
  ASSERT_TRUE(secondary_log_
                  .ApplySync("performance", {storage::Op::Put("sys/policy/stale", "old")},
                             storage::UpstreamPosition{1, std::string(32, '\x05'), 0})
                  .ok());
  SecondaryClient client(Type::kPerformance, State(), &secondary_log_, {});
  client.Start();
  ASSERT_TRUE(WaitFor(
      [&] {
        return *secondary_log_.MerkleRoot(StorageClass::kReplicated) ==
               *primary_log_.MerkleRoot(StorageClass::kReplicated);
      },
      std::chrono::seconds(10)));
  EXPECT_FALSE(secondary_physical_->Get("sys/policy/stale")->has_value());
  EXPECT_GE(client.status().syncs, 1u);
  client.Stop();
}

// ------------------------------------------------------------ DR peers

const std::string kDrPositionKey = storage::UpstreamPositionKey("dr");

TEST_F(ServiceTest, DrPeerBootstrapsAndStreamsBothClassesButNeverNodeKeys) {
  peer_type_ = Type::kDr;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Put("sys/policy/m" + std::to_string(i), "v").ok());
  ASSERT_TRUE(Put("sys/token/id/x", "token-ct").ok());
  ASSERT_TRUE(Put("sys/expire/id/y", "lease-ct").ok());
  // The primary was once a DR secondary itself: its own dr position is node
  // class and must never reach anyone.
  ASSERT_TRUE(primary_log_
                  .ApplySync("dr", {}, storage::UpstreamPosition{77, std::string(32, '\x07'), 0},
                             StorageClass::kLocal)
                  .ok());
  const uint64_t synced_at = primary_log_.LastPosition()->index;

  SecondaryClient client(Type::kDr, State(), &secondary_log_, {});
  ASSERT_TRUE(client.Sync(std::chrono::seconds(10)).ok());
  EXPECT_EQ(*secondary_log_.MerkleRoot(StorageClass::kReplicated),
            *primary_log_.MerkleRoot(StorageClass::kReplicated));
  EXPECT_EQ(*secondary_log_.MerkleRoot(StorageClass::kLocal),
            *primary_log_.MerkleRoot(StorageClass::kLocal));
  EXPECT_EQ(**secondary_physical_->Get("sys/token/id/x"), "token-ct");
  EXPECT_EQ(**secondary_physical_->Get("sys/expire/id/y"), "lease-ct");
  EXPECT_EQ((**secondary_log_.LoadUpstream("dr")).index, synced_at);  // its own, not the 77
  EXPECT_EQ(client.status().syncs, 1u);

  client.Start();
  ASSERT_TRUE(Put("sys/token/id/z", "token-2").ok());
  ASSERT_TRUE(primary_log_.Delete("sys/expire/id/y").ok());
  ASSERT_TRUE(Put("sys/policy/q", "x").ok());
  const uint64_t last = primary_log_.LastPosition()->index;
  ASSERT_TRUE(WaitFor([&] { return client.status().last_remote_wal >= last; },
                      std::chrono::seconds(10)));
  EXPECT_EQ(client.status().state, "stream-wals");
  EXPECT_EQ(client.status().syncs, 1u);  // streamed, not resynced
  EXPECT_EQ(*secondary_log_.MerkleRoot(StorageClass::kReplicated),
            *primary_log_.MerkleRoot(StorageClass::kReplicated));
  EXPECT_EQ(*secondary_log_.MerkleRoot(StorageClass::kLocal),
            *primary_log_.MerkleRoot(StorageClass::kLocal));
  EXPECT_EQ(**secondary_physical_->Get("sys/token/id/z"), "token-2");
  EXPECT_FALSE(secondary_physical_->Get("sys/expire/id/y")->has_value());
  EXPECT_EQ((**secondary_log_.LoadUpstream("dr")).index, last);
  EXPECT_EQ((**primary_log_.LoadUpstream("dr")).index, 77u);
  client.Stop();

  auto stub = Stub(set_.client);
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(5); };
  {
    // The stream carries the local class unredacted.
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::StreamWalsRequest req;
    auto all = primary_log_.ReadAfter(0, storage::WalGenesisHash(), 1 << 20);
    ASSERT_TRUE(all.ok() && !all->gap && all->entries.size() >= 4);
    const storage::WalEntry& before = all->entries[all->entries.size() - 4];
    req.set_after_index(before.index);
    req.set_after_hash(before.hash);
    auto reader = stub->StreamWals(&ctx, req);
    v1::StreamWalsResponse resp;
    ASSERT_TRUE(reader->Read(&resp));
    ASSERT_EQ(resp.entries_size(), 3);
    EXPECT_FALSE(resp.entries(0).redacted());
    ASSERT_EQ(resp.entries(0).ops_size(), 1);
    EXPECT_EQ(resp.entries(0).ops(0).key(), "sys/token/id/z");
    EXPECT_EQ(resp.entries(0).ops(0).storage_class(), v1::STORAGE_CLASS_LOCAL);
    ctx.TryCancel();
  }
  // Asked for by name, a node-class key reads as absent in either class.
  EXPECT_EQ(Present(v1::STORAGE_CLASS_LOCAL, {kDrPositionKey, "node/wal/state", "sys/token/id/x"}),
            (std::vector<bool>{false, false, true}));
  EXPECT_EQ(Present(v1::STORAGE_CLASS_REPLICATED, {kDrPositionKey, "node/wal/state", "sys/policy/q"}),
            (std::vector<bool>{false, false, true}));
  {
    // And its bucket lists it in no tree.
    for (v1::StorageClass c : {v1::STORAGE_CLASS_LOCAL, v1::STORAGE_CLASS_REPLICATED}) {
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline());
      v1::MerkleKeysRequest req;
      req.set_storage_class(c);
      req.add_buckets(storage::MerkleBucketOf(kDrPositionKey));
      v1::MerkleKeysResponse resp;
      ASSERT_TRUE(stub->MerkleKeys(&ctx, req, &resp).ok());
      for (const v1::KeyHash& k : resp.keys()) EXPECT_NE(k.key(), kDrPositionKey);
    }
  }
}

TEST_F(ServiceTest, DrReplicaOfACascadingPerformanceSecondaryGetsItsPosition) {
  // The primary here is itself a performance secondary of `upstream`: what it
  // applied from there, and its position, reach its DR secondary.
  peer_type_ = Type::kDr;
  storage::BackendPtr upstream_physical = storage::NewInmemBackend();
  storage::ReplicatedLog upstream{upstream_physical.get(), {}};
  auto follow_upstream = [&] {
    auto at = primary_log_.LoadUpstream("performance");
    ASSERT_TRUE(at.ok());
    storage::UpstreamPosition pos =
        at->value_or(storage::UpstreamPosition{0, storage::WalGenesisHash(), 0});
    auto read = upstream.ReadAfter(pos.index, pos.hash, 1000);
    ASSERT_TRUE(read.ok() && !read->gap && !read->entries.empty());
    std::vector<storage::WalEntry> entries = read->entries;
    for (auto& e : entries) {
      std::erase_if(e.ops, [](const auto& op) { return op.storage_class != StorageClass::kReplicated; });
    }
    const auto& back = read->entries.back();
    ASSERT_TRUE(primary_log_
                    .ApplyUpstream("performance", entries,
                                   storage::UpstreamPosition{back.index, back.hash, back.commit_time_ms})
                    .ok());
  };
  ASSERT_TRUE(upstream.Write({storage::Op::Put("sys/policy/a", "1"),
                              storage::Op::Put("sys/token/id/upstream-only", "t")})
                  .ok());
  follow_upstream();
  ASSERT_TRUE(Put("sys/token/id/own", "local token of the performance secondary").ok());

  SecondaryClient client(Type::kDr, State(), &secondary_log_, {});
  ASSERT_TRUE(client.Sync(std::chrono::seconds(10)).ok());
  EXPECT_EQ(**secondary_log_.LoadUpstream("performance"), **primary_log_.LoadUpstream("performance"));
  EXPECT_TRUE(secondary_log_.WaitForUpstream("performance", upstream.LastPosition()->index,
                                             std::chrono::milliseconds(0)));
  client.Start();
  ASSERT_TRUE(upstream.Put("sys/policy/b", "2").ok());
  follow_upstream();
  const uint64_t upstream_last = upstream.LastPosition()->index;
  EXPECT_TRUE(secondary_log_.WaitForUpstream("performance", upstream_last, std::chrono::seconds(10)));
  EXPECT_EQ(**secondary_physical_->Get("sys/policy/b"), "2");
  EXPECT_EQ(**secondary_physical_->Get("sys/token/id/own"), "local token of the performance secondary");
  EXPECT_FALSE(secondary_physical_->Get("sys/token/id/upstream-only")->has_value());
  client.Stop();
}

TEST_F(ServiceTest, GenerationIsReportedAndANewerSecondaryIsRefused) {
  primary_generation_ = 3;
  ASSERT_TRUE(Put("sys/policy/p", "v").ok());
  {
    SecondaryClient client(Type::kPerformance, State(), &secondary_log_, {});
    ASSERT_TRUE(client.Sync(std::chrono::seconds(10)).ok());
    EXPECT_EQ(client.status().primary_generation, 3u);  // from the merkle-diff
  }
  {
    // From the stream (heartbeats): this client has a position, so no sync.
    SecondaryClient client(Type::kPerformance, State(), &secondary_log_, {});
    client.Start();
    ASSERT_TRUE(WaitFor([&] { return client.status().primary_generation == 3; },
                        std::chrono::seconds(5)));
    EXPECT_EQ(client.status().syncs, 0u);
    client.Stop();
  }

  // A secondary that knows generation 5 followed a newer primary: refused.
  SecondaryState newer = State();
  newer.generation = 5;
  storage::BackendPtr other_physical = storage::NewInmemBackend();
  storage::ReplicatedLog other{other_physical.get(), {}};
  {
    SecondaryClient client(Type::kPerformance, newer, &other, {});
    Status st = client.Sync(std::chrono::seconds(5));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("generation 3 is older than the secondary's 5"), std::string::npos)
        << st.message();
    EXPECT_FALSE(other.Get("sys/policy/p")->has_value());
  }
  auto stub = Stub(set_.client);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::StreamWalsRequest req;
    req.set_after_hash(storage::WalGenesisHash());
    req.set_generation(5);
    auto reader = stub->StreamWals(&ctx, req);
    v1::StreamWalsResponse resp;
    EXPECT_FALSE(reader->Read(&resp));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::MerkleDiffRequest req;
    req.set_generation(5);
    v1::MerkleDiffResponse resp;
    EXPECT_EQ(stub->MerkleDiff(&ctx, req, &resp).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }

  // A primary that answers with an older generation than the secondary's
  // (an old primary back at the same address) is refused by the client too.
  primary_generation_ = 5;
  SecondaryClient client(Type::kPerformance, newer, &secondary_log_, {});
  client.Start();
  // Wait for a message of the open stream (it carries generation 5): "stream-wals"
  // alone is set before the primary answered, and a primary at generation 2 by
  // then would refuse the stream itself, with the client never hearing a number.
  ASSERT_TRUE(WaitFor(
      [&] {
        const ClientStatus s = client.status();
        return s.state == "stream-wals" && s.primary_generation == 5;
      },
      std::chrono::seconds(5)));
  primary_generation_ = 2;
  ASSERT_TRUE(WaitFor(
      [&] {
        // The client's own check ends the stream (the primary checks only
        // when a stream starts, and refuses the reconnection after that).
        const ClientStatus s = client.status();
        return s.last_error.find("generation 2 is older than") != std::string::npos &&
               s.primary_generation == 2;
      },
      std::chrono::seconds(5)));
  EXPECT_EQ(client.status().primary_generation, 2u);
  client.Stop();
}

}  // namespace
}  // namespace coffer::replication
