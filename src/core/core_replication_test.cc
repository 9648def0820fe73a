// The core's side of replication: forwarding on read-only storage,
// HandleForwarded, InvalidateKeys, ReplaceStorage, the X-Vault-Index hooks,
// sys/health fields, sys/metrics and sys/replication/*.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "core/core.h"
#include "core/core_test_util.h"
#include "storage/inmem_backend.h"

namespace coffer::core {
namespace {

using testing::Req;

// A backend whose writes to chosen key prefixes fail with ReadOnly(), as a
// performance secondary's replicated class does.
class ReadOnlyBackend final : public storage::Backend {
 public:
  explicit ReadOnlyBackend(storage::BackendPtr inner) : inner_(std::move(inner)) {}

  void SetReadOnly(std::vector<std::string> prefixes) {
    std::lock_guard<std::mutex> lock(mu_);
    prefixes_ = std::move(prefixes);
  }

  Result<std::optional<std::string>> Get(std::string_view key) override { return inner_->Get(key); }
  Status Write(const storage::Batch& batch) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& op : batch) {
        for (const auto& p : prefixes_) {
          if (op.key.compare(0, p.size(), p) == 0) return ReadOnly();
        }
      }
    }
    return inner_->Write(batch);
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    return inner_->List(prefix);
  }
  Result<std::vector<std::string>> ListAll(std::string_view prefix) override {
    return inner_->ListAll(prefix);
  }
  std::string_view Type() const override { return "inmem"; }

 private:
  storage::BackendPtr inner_;
  std::mutex mu_;
  std::vector<std::string> prefixes_;
};

// The replicated-class keys a secondary may not write (mount data aside).
const std::vector<std::string> kReplicatedTables = {
    "core/mounts", "core/auth", "core/audit", "core/keyring", "core/seal-config", "sys/policy/"};

struct Node {
  ReadOnlyBackend* physical = nullptr;
  std::unique_ptr<Core> core;
  std::string root;
  std::string unseal_key;
};

Node NewNode() {
  Node n;
  auto backend = std::make_unique<ReadOnlyBackend>(storage::NewInmemBackend());
  n.physical = backend.get();
  CoreOptions o;
  o.physical = std::move(backend);
  o.storage_type = "inmem";
  o.token_tidy_interval_s = 0;
  n.core = std::make_unique<Core>(std::move(o));
  n.root = testing::InitAndUnseal(*n.core, &n.unseal_key);
  return n;
}

Json Raw(const Result<Response>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  return Json::parse(r->raw_body);
}

void MountKv(Core& core, const std::string& root, const std::string& path, bool local = false) {
  auto r = core.Handle(
      Req(Operation::kUpdate, "sys/mounts/" + path, {{"type", "kv"}, {"local", local}}, root));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

struct ForwardLog {
  std::mutex mu;
  std::vector<std::string> paths;
  std::vector<bool> had_caller;
};

ReplicationHooks ForwardingHooks(ForwardLog* log) {
  ReplicationHooks h;
  h.forward = [log](const Request& req, const Caller* caller) -> Result<Response> {
    std::lock_guard<std::mutex> lock(log->mu);
    log->paths.push_back(req.path);
    log->had_caller.push_back(caller != nullptr);
    return Response::Data(Json{{"forwarded", true}});
  };
  return h;
}

// --- forwarding on read-only storage ---------------------------------------

TEST(CoreReplicationTest, WriteToReadOnlyStorageIsForwardedReadsAreNot) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  ASSERT_TRUE(n.core->Handle(Req(Operation::kUpdate, "secret/before", {{"v", "1"}}, n.root)).ok());
  ForwardLog log;
  n.core->SetReplicationHooks(ForwardingHooks(&log));
  auto mount = n.core->router().Entry("secret/");
  ASSERT_TRUE(mount.has_value());
  n.physical->SetReadOnly({mount->StoragePrefix()});

  auto write = n.core->Handle(Req(Operation::kUpdate, "secret/x", {{"v", "2"}}, n.root));
  ASSERT_TRUE(write.ok()) << write.status().ToString();
  EXPECT_EQ(write->data, Json({{"forwarded", true}}));
  auto read = n.core->Handle(Req(Operation::kRead, "secret/before", {}, n.root));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["v"], "1");
  std::lock_guard<std::mutex> lock(log.mu);
  ASSERT_EQ(log.paths, std::vector<std::string>{"secret/x"});
  EXPECT_TRUE(log.had_caller[0]);
}

TEST(CoreReplicationTest, ReadOnlyWithoutForwardHookIs503Text) {
  Node n = NewNode();
  n.physical->SetReadOnly({"sys/policy/"});
  auto r = n.core->Handle(
      Req(Operation::kUpdate, "sys/policy/p", {{"policy", "path \"a\" { capabilities = [\"read\"] }"}},
          n.root));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kReadOnly);
  EXPECT_EQ(r.status().message(), "cannot write to readonly storage");
}

TEST(CoreReplicationTest, PolicyAndReplicatedMountWritesForwardLocalMountStays) {
  Node n = NewNode();
  ForwardLog log;
  n.core->SetReplicationHooks(ForwardingHooks(&log));
  n.physical->SetReadOnly(kReplicatedTables);
  auto policy = n.core->Handle(
      Req(Operation::kUpdate, "sys/policy/p", {{"policy", "path \"a\" { capabilities = [\"read\"] }"}},
          n.root));
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->data["forwarded"], true);
  auto replicated = n.core->Handle(
      Req(Operation::kUpdate, "sys/mounts/shared", {{"type", "kv"}}, n.root));
  ASSERT_TRUE(replicated.ok()) << replicated.status().ToString();
  EXPECT_EQ(replicated->data["forwarded"], true);
  EXPECT_FALSE(n.core->router().Entry("shared/").has_value());
  // A local mount only changes the local table: served here.
  MountKv(*n.core, n.root, "mine", /*local=*/true);
  EXPECT_TRUE(n.core->router().Entry("mine/").has_value());
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(log.paths, (std::vector<std::string>{"sys/policy/p", "sys/mounts/shared"}));
}

TEST(CoreReplicationTest, UnsealOnReadOnlyNodeWritesOnlyLocalTables) {
  Node n = NewNode();
  ASSERT_TRUE(n.core->SealNode().ok());
  // A new secondary: the replicated tables came from the primary, the local
  // ones (cubbyhole's) do not exist yet.
  ASSERT_TRUE(n.physical->Delete("core/local-mounts").ok());
  n.physical->SetReadOnly(kReplicatedTables);
  auto unsealed = n.core->Unseal(n.unseal_key);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  EXPECT_FALSE(n.core->Sealed());
  EXPECT_TRUE(n.core->router().Entry("cubbyhole/").has_value());
  auto cubby = n.core->Handle(Req(Operation::kUpdate, "cubbyhole/x", {{"a", "b"}}, n.root));
  EXPECT_TRUE(cubby.ok()) << cubby.status().ToString();
}

// The same with the replicated log's own read-only mode (a performance
// secondary): unseal sets up, replicated writes forward, local ones stay.
TEST(CoreReplicationTest, ReplicatedReadOnlyLogForwardsReplicatedWritesOnly) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  ASSERT_TRUE(n.core->SealNode().ok());
  n.core->replicated_log().SetReplicatedReadOnly(true);
  auto unsealed = n.core->Unseal(n.unseal_key);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  ForwardLog log;
  n.core->SetReplicationHooks(ForwardingHooks(&log));
  auto write = n.core->Handle(Req(Operation::kUpdate, "secret/x", {{"v", "1"}}, n.root));
  ASSERT_TRUE(write.ok()) << write.status().ToString();
  EXPECT_EQ(write->data["forwarded"], true);
  // Tokens and the cubbyhole are local: served here.
  auto token = n.core->Handle(Req(Operation::kUpdate, "auth/token/create", {}, n.root));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_FALSE(token->auth->client_token.empty());
  EXPECT_TRUE(n.core->Handle(Req(Operation::kUpdate, "cubbyhole/c", {{"a", "b"}}, n.root)).ok());
  MountKv(*n.core, n.root, "mine", /*local=*/true);
  EXPECT_TRUE(n.core->Handle(Req(Operation::kUpdate, "mine/x", {{"v", "1"}}, n.root)).ok());
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(log.paths, std::vector<std::string>{"secret/x"});
}

// --- HandleForwarded --------------------------------------------------------

TEST(CoreReplicationTest, HandleForwardedEnforcesTheCallersPolicies) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  ASSERT_TRUE(n.core
                  ->Handle(Req(Operation::kUpdate, "sys/policy/writer",
                               {{"policy",
                                 "path \"secret/allowed/*\" { capabilities = [\"create\", "
                                 "\"update\"] }"}},
                               n.root))
                  .ok());
  Caller caller;
  caller.accessor = "acc";
  caller.policies = {"default", "writer"};
  caller.token_id = "a-secondary-token";
  auto denied = n.core->HandleForwarded(
      Req(Operation::kUpdate, "secret/denied/x", {{"v", "1"}}, "a-secondary-token"), caller);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  auto allowed = n.core->HandleForwarded(
      Req(Operation::kUpdate, "secret/allowed/x", {{"v", "1"}}, "a-secondary-token"), caller);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  auto read = n.core->Handle(Req(Operation::kRead, "secret/allowed/x", {}, n.root));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["v"], "1");

  Caller root;
  root.accessor = "root-acc";
  root.policies = {"root"};
  EXPECT_TRUE(n.core
                  ->HandleForwarded(Req(Operation::kUpdate, "secret/denied/x", {{"v", "2"}}),
                                    root)
                  .ok());
  // No caller at all: only unauthenticated paths.
  auto anonymous = n.core->HandleForwarded(
      Req(Operation::kUpdate, "secret/allowed/y", {{"v", "1"}}), Caller{});
  EXPECT_EQ(anonymous.status().code(), Code::kPermissionDenied);
}

TEST(CoreReplicationTest, HandleForwardedNeverForwardsAgain) {
  Node n = NewNode();
  ForwardLog log;
  n.core->SetReplicationHooks(ForwardingHooks(&log));
  n.physical->SetReadOnly({"sys/policy/"});
  Caller root;
  root.policies = {"root"};
  auto r = n.core->HandleForwarded(
      Req(Operation::kUpdate, "sys/policy/p", {{"policy", "path \"a\" { capabilities = [\"read\"] }"}}),
      root);
  EXPECT_EQ(r.status().code(), Code::kReadOnly);
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_TRUE(log.paths.empty());
}

// --- InvalidateKeys ---------------------------------------------------------

TEST(CoreReplicationTest, MountWrittenUnderneathBecomesRoutableAfterInvalidate) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  auto engine_before = n.core->router().Find("secret/x")->route->engine;
  // What replication applies: the mount table with a new mount, below the
  // router (through the barrier, as the keyring is shared).
  MountEntry added = testing::PutMountUnderneath(*n.core);

  auto before = n.core->Handle(Req(Operation::kRead, "upstream/k", {}, n.root));
  EXPECT_EQ(before.status().code(), Code::kNotFound);
  n.core->InvalidateKeys({"core/mounts", added.StoragePrefix() + "k"});
  auto after = n.core->Handle(Req(Operation::kRead, "upstream/k", {}, n.root));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->data["v"], "up");
  // The mount that did not change kept its engine.
  EXPECT_EQ(n.core->router().Find("secret/x")->route->engine, engine_before);
}

TEST(CoreReplicationTest, PolicyChangedUnderneathTakesEffectAfterInvalidate) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  ASSERT_TRUE(n.core->Handle(Req(Operation::kUpdate, "secret/x", {{"v", "1"}}, n.root)).ok());
  ASSERT_TRUE(n.core
                  ->Handle(Req(Operation::kUpdate, "sys/policy/reader",
                               {{"policy", "path \"secret/*\" { capabilities = [\"read\"] }"}},
                               n.root))
                  .ok());
  auto token = n.core->Handle(
      Req(Operation::kUpdate, "auth/token/create", {{"policies", Json::array({"reader"})}}, n.root));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  const std::string t = token->auth->client_token;
  ASSERT_TRUE(n.core->Handle(Req(Operation::kRead, "secret/x", {}, t)).ok());
  // Replication rewrites the policy underneath: it now grants nothing there.
  ASSERT_TRUE(n.core->barrier()
                  .Put("sys/policy/reader",
                       Json{{"name", "reader"},
                            {"policy", "path \"other/*\" { capabilities = [\"read\"] }"}}
                           .dump())
                  .ok());
  EXPECT_TRUE(n.core->Handle(Req(Operation::kRead, "secret/x", {}, t)).ok());  // cached
  n.core->InvalidateKeys({"sys/policy/reader"});
  EXPECT_EQ(n.core->Handle(Req(Operation::kRead, "secret/x", {}, t)).status().code(),
            Code::kPermissionDenied);
}

// --- ReplaceStorage ---------------------------------------------------------

// Copies every non-node key of `from` over `to` (deleting `to`'s own first).
Status CopyPhysical(storage::Backend& from, storage::Backend& to) {
  ASSIGN_OR_RETURN(auto mine, to.ListAll(""));
  storage::Batch batch;
  for (const auto& k : mine) {
    if (k.rfind("node/", 0) != 0) batch.push_back(storage::Op::Delete(k));
  }
  ASSIGN_OR_RETURN(auto theirs, from.ListAll(""));
  for (const auto& k : theirs) {
    if (k.rfind("node/", 0) == 0) continue;
    ASSIGN_OR_RETURN(auto v, from.Get(k));
    if (v.has_value()) batch.push_back(storage::Op::Put(k, *v));
  }
  return to.Write(batch);
}

TEST(CoreReplicationTest, ReplaceStorageServesTheOtherNodesData) {
  Node primary = NewNode();
  MountKv(*primary.core, primary.root, "secret");
  ASSERT_TRUE(primary.core
                  ->Handle(Req(Operation::kUpdate, "secret/p", {{"v", "primary"}}, primary.root))
                  .ok());
  Node node = NewNode();
  const ClusterInfo old_info = node.core->cluster_info();
  int unsealed_calls = 0, sealing_calls = 0;
  ReplicationHooks hooks;
  hooks.unsealed = [&] { ++unsealed_calls; };
  hooks.sealing = [&] { ++sealing_calls; };
  node.core->SetReplicationHooks(hooks);

  Status st = node.core->ReplaceStorage([&]() -> Result<std::string> {
    EXPECT_TRUE(node.core->Sealed());
    RETURN_IF_ERROR(CopyPhysical(*primary.physical, *node.physical));
    return primary.core->barrier().RootKey();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(node.core->Sealed());
  EXPECT_EQ(sealing_calls, 1);
  EXPECT_EQ(unsealed_calls, 1);
  auto read = node.core->Handle(Req(Operation::kRead, "secret/p", {}, primary.root));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["v"], "primary");
  const ClusterInfo info = node.core->cluster_info();
  EXPECT_EQ(info.name, old_info.name);
  EXPECT_NE(info.id, old_info.id);
  EXPECT_NE(info.id, primary.core->cluster_info().id);
  // It now unseals with the primary's key.
  ASSERT_TRUE(node.core->SealNode().ok());
  auto again = node.core->Unseal(primary.unseal_key);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(node.core->Sealed());
}

TEST(CoreReplicationTest, ReplaceStorageFailureLeavesTheNodeSealed) {
  Node node = NewNode();
  Status st = node.core->ReplaceStorage(
      []() -> Result<std::string> { return Unavailable("primary unreachable"); });
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("primary unreachable"), std::string::npos);
  EXPECT_TRUE(node.core->Sealed());
  Status wrong_key = node.core->ReplaceStorage(
      []() -> Result<std::string> { return std::string(32, 'k'); });
  EXPECT_FALSE(wrong_key.ok());
  EXPECT_TRUE(node.core->Sealed());
}

TEST(CoreReplicationTest, ReplaceStorageWorksFromASealedNode) {
  Node primary = NewNode();
  Node node = NewNode();
  ASSERT_TRUE(node.core->SealNode().ok());
  Status st = node.core->ReplaceStorage([&]() -> Result<std::string> {
    RETURN_IF_ERROR(CopyPhysical(*primary.physical, *node.physical));
    return primary.core->barrier().RootKey();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(node.core->Handle(Req(Operation::kRead, "auth/token/lookup-self", {}, primary.root))
                  .ok());
}

// --- X-Vault-Index ----------------------------------------------------------

TEST(CoreReplicationTest, IndexHeaderOnWritesOnlyAndCheckIndexGuardsRequests) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  std::atomic<int> checks{0};
  ReplicationHooks hooks;
  hooks.index_header = [] { return std::string("idx-7"); };
  hooks.check_index = [&checks](const Request& req) -> Status {
    ++checks;
    if (req.headers.count("x-vault-index") != 0 && req.headers.at("x-vault-index") == "future") {
      return Status(Code::kPreconditionFailed, "required index state not present");
    }
    return Status::Ok();
  };
  n.core->SetReplicationHooks(hooks);
  auto write = n.core->Handle(Req(Operation::kUpdate, "secret/x", {{"v", "1"}}, n.root));
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->headers["X-Vault-Index"], "idx-7");
  auto read = n.core->Handle(Req(Operation::kRead, "secret/x", {}, n.root));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->headers.count("X-Vault-Index"), 0u);
  auto del = n.core->Handle(Req(Operation::kDelete, "secret/x", {}, n.root));
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->headers["X-Vault-Index"], "idx-7");

  Request ahead = Req(Operation::kRead, "secret/x", {}, n.root);
  ahead.headers["x-vault-index"] = "future";
  auto refused = n.core->Handle(ahead);
  EXPECT_EQ(refused.status().code(), Code::kPreconditionFailed);
  EXPECT_EQ(refused.status().message(), "required index state not present");
  // The unauthenticated sys routes never wait.
  const int before = checks.load();
  Request health = Req(Operation::kRead, "sys/health");
  health.headers["x-vault-index"] = "future";
  EXPECT_TRUE(n.core->Handle(health).ok());
  EXPECT_EQ(checks.load(), before);
}

TEST(CoreReplicationTest, IndexHeaderIsThePrimarysOnForwardedWrites) {
  Node n = NewNode();
  ForwardLog log;
  ReplicationHooks hooks = ForwardingHooks(&log);
  hooks.index_header = [] { return std::string("local-index"); };
  n.core->SetReplicationHooks(hooks);
  n.physical->SetReadOnly({"sys/policy/"});
  const Json body = {{"policy", "path \"a\" { capabilities = [\"read\"] }"}};
  // Forwarded: the primary's answer as it came (this one has no index).
  auto forwarded = n.core->Handle(Req(Operation::kUpdate, "sys/policy/p", body, n.root));
  ASSERT_TRUE(forwarded.ok());
  EXPECT_EQ(forwarded->data["forwarded"], true);
  EXPECT_EQ(forwarded->headers.count("X-Vault-Index"), 0u);
  // The primary's side of a forwarded write gives its own index.
  n.physical->SetReadOnly({});
  Caller root;
  root.policies = {"root"};
  auto primary = n.core->HandleForwarded(Req(Operation::kUpdate, "sys/policy/p", body), root);
  ASSERT_TRUE(primary.ok()) << primary.status().ToString();
  EXPECT_EQ(primary->headers["X-Vault-Index"], "local-index");
}

// --- sys/health, sys/metrics, sys/replication -------------------------------

TEST(CoreReplicationTest, HealthHasReplicationFieldsAndHookOverrides) {
  Node n = NewNode();
  Json body = Raw(n.core->Handle(Req(Operation::kRead, "sys/health")));
  EXPECT_EQ(body["replication_performance_mode"], "disabled");
  EXPECT_EQ(body["replication_dr_mode"], "disabled");
  ASSERT_TRUE(body["last_wal"].is_number_unsigned());
  EXPECT_GT(body["last_wal"].get<uint64_t>(), 0u);
  ReplicationHooks hooks;
  hooks.health = [] { return Json{{"replication_performance_mode", "primary"}, {"extra", 1}}; };
  n.core->SetReplicationHooks(hooks);
  body = Raw(n.core->Handle(Req(Operation::kRead, "sys/health")));
  EXPECT_EQ(body["replication_performance_mode"], "primary");
  EXPECT_EQ(body["replication_dr_mode"], "disabled");
  EXPECT_EQ(body["extra"], 1);
}

TEST(CoreReplicationTest, MetricsPrometheusAndJson) {
  Node n = NewNode();
  ReplicationHooks hooks;
  hooks.metrics = [] { return std::string("coffer_replication_lag_ms{type=\"dr\"} 12\n"); };
  n.core->SetReplicationHooks(hooks);
  auto text = n.core->Handle(
      Req(Operation::kRead, "sys/metrics", {{"format", "prometheus"}}, n.root));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->kind, Response::Kind::kRaw);
  EXPECT_EQ(text->raw_content_type.rfind("text/plain", 0), 0u);
  for (const char* name :
       {"coffer_core_unsealed 1", "coffer_wal_last_index ", "coffer_wal_first_index ",
        "coffer_wal_retained_bytes ", "coffer_wal_commit_groups_total ",
        "# TYPE coffer_wal_commit_groups_total counter",
        "coffer_replication_lag_ms{type=\"dr\"} 12"}) {
    EXPECT_NE(text->raw_body.find(name), std::string::npos) << name;
  }
  Json json = Raw(n.core->Handle(Req(Operation::kRead, "sys/metrics", {}, n.root)));
  ASSERT_TRUE(json["Gauges"].is_array());
  ASSERT_TRUE(json["Counters"].is_array());
  ASSERT_TRUE(json["Samples"].is_array());
  std::set<std::string> names;
  for (const auto& g : json["Gauges"]) names.insert(g["Name"].get<std::string>());
  EXPECT_TRUE(names.count("coffer.wal.last_index"));
  EXPECT_TRUE(names.count("coffer.replication.lag_ms"));
  EXPECT_EQ(n.core->Handle(Req(Operation::kRead, "sys/metrics")).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(n.core->Handle(Req(Operation::kRead, "sys/metrics", {{"format", "xml"}}, n.root))
                .status()
                .code(),
            Code::kInvalidArgument);
}

TEST(CoreReplicationTest, ReplicationStatusDisabledWithoutHook) {
  Node n = NewNode();
  auto all = n.core->Handle(Req(Operation::kRead, "sys/replication/status"));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->data,
            Json({{"dr", {{"mode", "disabled"}}}, {"performance", {{"mode", "disabled"}}}}));
  for (const char* p : {"sys/replication/performance/status", "sys/replication/dr/status"}) {
    auto typed = n.core->Handle(Req(Operation::kRead, p));
    ASSERT_TRUE(typed.ok()) << p;
    EXPECT_EQ(typed->data, Json({{"mode", "disabled"}})) << p;
  }
  auto other = n.core->Handle(
      Req(Operation::kUpdate, "sys/replication/performance/primary/enable", {}, n.root));
  EXPECT_EQ(other.status().code(), Code::kNotFound);
  EXPECT_EQ(other.status().message(), "unsupported path");
}

TEST(CoreReplicationTest, ReplicationPathsGoToTheHook) {
  Node n = NewNode();
  std::vector<std::pair<std::string, bool>> calls;
  ReplicationHooks hooks;
  hooks.handle_sys = [&calls](const Request& req, const Caller* caller) -> Result<Response> {
    calls.emplace_back(req.path, caller != nullptr);
    return Response::Data(Json{{"ok", true}});
  };
  n.core->SetReplicationHooks(hooks);
  EXPECT_TRUE(n.core->Handle(Req(Operation::kRead, "sys/replication/dr/status")).ok());
  EXPECT_TRUE(n.core
                  ->Handle(Req(Operation::kUpdate, "sys/replication/performance/primary/enable",
                               {}, n.root))
                  .ok());
  // Not the status endpoints: a token is needed.
  EXPECT_EQ(n.core
                ->Handle(Req(Operation::kUpdate, "sys/replication/performance/primary/enable"))
                .status()
                .code(),
            Code::kPermissionDenied);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], std::make_pair(std::string("sys/replication/dr/status"), false));
  EXPECT_EQ(calls[1],
            std::make_pair(std::string("sys/replication/performance/primary/enable"), true));
}

}  // namespace
}  // namespace coffer::core
