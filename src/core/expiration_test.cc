// ExpirationManager on the in-memory backend with a fake engine and a fake
// clock: registration, renewal caps, expiry, retries with backoff, prefixes,
// token revocation, token leases, restore, tidy, and a 100,000-lease restore.
#include "core/expiration.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/sys_leases.h"
#include "core/token_store_keys.h"
#include "storage/inmem_backend.h"

namespace coffer::core {
namespace {

constexpr int64_t kStart = 1'700'000'000;

// Records revocations and renewals; fails the next `fail_revokes` revokes.
class FakeEngine : public Engine {
 public:
  Result<Response> Handle(const EngineRequest&) override { return Response::Empty(); }
  Status RevokeSecret(const EngineRequest& req, const Json& internal) override {
    std::lock_guard<std::mutex> lock(mu);
    if (fail_revokes > 0) {
      --fail_revokes;
      return Unavailable("database unreachable");
    }
    revoked.push_back(internal.value("user", ""));
    paths.push_back(req.path);
    return Status::Ok();
  }
  Result<int64_t> RenewSecret(const EngineRequest&, const Json&, int64_t increment) override {
    std::lock_guard<std::mutex> lock(mu);
    ++renewals;
    if (grant >= 0) return grant;
    return increment;
  }
  size_t Revoked() {
    std::lock_guard<std::mutex> lock(mu);
    return revoked.size();
  }

  std::mutex mu;
  std::vector<std::string> revoked;
  std::vector<std::string> paths;
  int fail_revokes = 0;
  int renewals = 0;
  int64_t grant = -1;  // >= 0: RenewSecret grants this instead of the increment
};

// A backend that refuses writes under sys/expire/ while `fail` is set.
class FlakyBackend : public storage::Backend {
 public:
  explicit FlakyBackend(storage::Backend* inner) : inner_(inner) {}
  Result<std::optional<std::string>> Get(std::string_view key) override { return inner_->Get(key); }
  Status Write(const storage::Batch& batch) override {
    if (fail) return Unavailable("disk full");
    return inner_->Write(batch);
  }
  Result<std::vector<std::string>> List(std::string_view p) override { return inner_->List(p); }
  Result<std::vector<std::string>> ListAll(std::string_view p) override {
    return inner_->ListAll(p);
  }
  std::string_view Type() const override { return "flaky"; }
  std::atomic<bool> fail{false};

 private:
  storage::Backend* inner_;
};

class ExpirationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(barrier_.Initialize(std::string(32, 'k')).ok());
    ASSERT_TRUE(barrier_.Unseal(std::string(32, 'k')).ok());
    tokens_.SetClock([this] { return now_.load(); });
    ASSERT_TRUE(tokens_.Setup().ok());
    mount_.path = "db/";
    mount_.type = "fake";
    manager_ = MakeManager(false);
    tokens_.SetRevokeHook([this](const TokenEntry& e) { manager_->TokenRevoked(e); });
    tokens_.SetLeaseHooks(
        {.lease_ops = [this](const TokenEntry& e) { return manager_->TokenLeaseOps(e); },
         .created = [this](const TokenEntry& e) { manager_->TokenCreated(e); },
         .renewed = [this](const TokenEntry& e) { return manager_->TokenRenewed(e); }});
    ASSERT_TRUE(manager_->Start().ok());
  }
  void TearDown() override {
    tokens_.SetRevokeHook(nullptr);
    tokens_.SetLeaseHooks({});
  }

  std::unique_ptr<ExpirationManager> MakeManager(bool background) {
    return std::make_unique<ExpirationManager>(ExpirationOptions{
        .storage = &flaky_,
        .tokens = &tokens_,
        .resolve = [this](const std::string& path) -> Result<LeaseTarget> {
          if (!path.starts_with("db/")) return NotFound("no route");
          LeaseTarget t;
          t.engine = engine_;
          t.storage = view_;
          t.mount = mount_;
          t.relative_path = path.substr(3);
          t.system = system_;
          return t;
        },
        .now = [this] { return now_.load(); },
        .background = background});
  }

  // A leased response from the fake engine at `path`, as the core registers it.
  Result<SecretInfo> Issue(const std::string& path, const std::string& user, int64_t ttl,
                           const std::optional<TokenEntry>& token = std::nullopt,
                           bool renewable = true, int64_t max_ttl = 0) {
    EngineRequest req;
    req.path = path.substr(3);
    req.mount = &mount_;
    req.storage = view_.get();
    req.system = system_;
    Response resp;
    resp.secret = SecretInfo{.renewable = renewable,
                             .lease_duration = ttl,
                             .register_lease = true,
                             .internal_data = Json{{"user", user}},
                             .max_ttl = max_ttl};
    RETURN_IF_ERROR(manager_->RegisterFromResponse(req, *engine_, path, token, resp));
    return *resp.secret;
  }

  TokenEntry MakeToken(int64_t ttl, const std::string& parent = "") {
    TokenEntry e;
    e.policies = {"default"};
    e.path = "auth/token/create";
    e.ttl = ttl;
    e.parent = parent;
    e.renewable = ttl > 0;
    auto made = tokens_.Create(e);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : TokenEntry{};
  }

  bool Exists(const std::string& lease_id) {
    auto e = manager_->Lookup(lease_id);
    return e.ok();
  }

  storage::BackendPtr physical_ = storage::NewInmemBackend();
  Barrier barrier_{physical_.get()};
  FlakyBackend flaky_{&barrier_};
  TokenStore tokens_{&barrier_};
  std::atomic<int64_t> now_{kStart};
  std::shared_ptr<FakeEngine> engine_ = std::make_shared<FakeEngine>();
  std::shared_ptr<storage::Backend> view_ = storage::NewInmemBackend();
  MountEntry mount_;
  SystemView system_{.default_lease_ttl = 60, .max_lease_ttl = 3600};
  std::unique_ptr<ExpirationManager> manager_;
};

TEST_F(ExpirationTest, RegisterFillsTheLeaseAndCapsItsTtl) {
  auto s = Issue("db/creds/ro", "u1", 10'000);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->lease_id.starts_with("db/creds/ro/"));
  EXPECT_EQ(s->lease_id.size(), std::string("db/creds/ro/").size() + kLeaseIdRandomLength);
  EXPECT_EQ(s->lease_duration, 3600);  // the mount's max TTL
  EXPECT_FALSE(s->register_lease);
  EXPECT_TRUE(s->internal_data.is_null());  // never rendered

  auto d = Issue("db/creds/ro", "u2", 0);  // 0: the mount's default TTL
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lease_duration, 60);
  auto capped = Issue("db/creds/ro", "u3", 500, std::nullopt, true, /*max_ttl=*/100);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->lease_duration, 100);  // SecretInfo::max_ttl
  EXPECT_EQ(manager_->Pending(), 3u);

  auto e = manager_->Lookup(s->lease_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->path, "db/creds/ro");
  EXPECT_EQ(e->mount_path, "db/");
  EXPECT_EQ(e->expire_time, kStart + 3600);
  Json look = LeaseLookupData(*e, kStart + 10);
  EXPECT_EQ(look["id"], s->lease_id);
  EXPECT_EQ(look["ttl"], 3590);
  EXPECT_EQ(look["renewable"], true);
  EXPECT_TRUE(look["last_renewal"].is_null());
  EXPECT_EQ(look["issue_time"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(look.contains("revocation_state"));

  auto unknown = manager_->Lookup("db/creds/ro/nope");
  EXPECT_EQ(unknown.status().message(), "invalid lease");
}

TEST_F(ExpirationTest, FailedRegistrationRevokesAtOnceAndFails) {
  flaky_.fail = true;
  auto s = Issue("db/creds/ro", "u1", 60);
  flaky_.fail = false;
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("failed to register lease"), std::string::npos);
  ASSERT_EQ(engine_->revoked, std::vector<std::string>{"u1"});
  EXPECT_EQ(manager_->Pending(), 0u);
  auto keys = barrier_.ListAll(leasekeys::kIdPrefix);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->empty());
}

TEST_F(ExpirationTest, RenewIsCappedAndAsksTheEngine) {
  auto s = Issue("db/creds/ro", "u1", 60, std::nullopt, true, /*max_ttl=*/100);
  ASSERT_TRUE(s.ok());
  now_ += 30;
  auto r = manager_->Renew(s->lease_id, 1000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->lease_id, s->lease_id);
  EXPECT_EQ(r->lease_duration, 70);  // issue + 100 - now
  EXPECT_EQ(engine_->renewals, 1);
  auto e = manager_->Lookup(s->lease_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->last_renewal_time, kStart + 30);
  EXPECT_EQ(e->expire_time, kStart + 100);

  // The engine may grant less than asked.
  auto other = Issue("db/creds/ro", "u2", 60);
  engine_->grant = 5;
  auto less = manager_->Renew(other->lease_id, 50);
  ASSERT_TRUE(less.ok());
  EXPECT_EQ(less->lease_duration, 5);
  engine_->grant = -1;

  auto fixed = Issue("db/creds/ro", "u3", 60, std::nullopt, /*renewable=*/false);
  EXPECT_EQ(manager_->Renew(fixed->lease_id, 10).status().message(), "lease is not renewable");
  EXPECT_EQ(manager_->Renew("db/creds/ro/unknown", 10).status().message(),
            "lease not found or lease is not renewable");

  // Past its end and revoked by the schedule: not found any more.
  now_ = kStart + 200;
  manager_->ProcessDue();
  auto late = manager_->Renew(s->lease_id, 10);
  EXPECT_EQ(late.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(late.status().message(), "lease not found or lease is not renewable");
}

TEST_F(ExpirationTest, ExpiresOnTime) {
  auto s = Issue("db/creds/ro", "u1", 10);
  ASSERT_TRUE(s.ok());
  now_ = kStart + 9;
  EXPECT_EQ(manager_->ProcessDue(), 0u);
  EXPECT_TRUE(engine_->revoked.empty());
  now_ = kStart + 10;
  EXPECT_EQ(manager_->ProcessDue(), 1u);
  EXPECT_EQ(engine_->revoked, std::vector<std::string>{"u1"});
  EXPECT_EQ(engine_->paths, std::vector<std::string>{"creds/ro"});
  EXPECT_FALSE(Exists(s->lease_id));
  EXPECT_EQ(manager_->Pending(), 0u);
}

TEST_F(ExpirationTest, RenewedLeaseDoesNotExpireAtItsOldTime) {
  auto s = Issue("db/creds/ro", "u1", 10);
  now_ = kStart + 5;
  ASSERT_TRUE(manager_->Renew(s->lease_id, 100).ok());
  now_ = kStart + 20;
  manager_->ProcessDue();
  EXPECT_TRUE(engine_->revoked.empty());
  now_ = kStart + 105;
  manager_->ProcessDue();
  EXPECT_EQ(engine_->Revoked(), 1u);
}

TEST_F(ExpirationTest, FailedRevocationRetriesWithBackoffAndShowsIt) {
  auto s = Issue("db/creds/ro", "u1", 10);
  engine_->fail_revokes = 2;
  now_ = kStart + 10;
  manager_->ProcessDue();
  auto e = manager_->Lookup(s->lease_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->state, LeaseEntry::State::kRevocationFailed);
  EXPECT_EQ(e->revoke_attempts, 1);
  EXPECT_EQ(e->last_error, "database unreachable");
  EXPECT_EQ(e->next_attempt_time, kStart + 11);
  Json look = LeaseLookupData(*e, now_);
  EXPECT_EQ(look["revocation_state"], "revocation_failed");
  EXPECT_EQ(look["revoke_attempts"], 1);
  EXPECT_EQ(look["last_revoke_error"], "database unreachable");
  // A failed lease cannot be renewed back to life.
  EXPECT_FALSE(manager_->Renew(s->lease_id, 10).ok());

  now_ = kStart + 11;  // retry 1 fails: next after 2 s
  manager_->ProcessDue();
  e = manager_->Lookup(s->lease_id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->revoke_attempts, 2);
  EXPECT_EQ(e->next_attempt_time, kStart + 13);
  now_ = kStart + 12;
  manager_->ProcessDue();
  EXPECT_TRUE(Exists(s->lease_id));
  now_ = kStart + 13;  // retry 2 succeeds
  manager_->ProcessDue();
  EXPECT_FALSE(Exists(s->lease_id));
  EXPECT_EQ(engine_->revoked, std::vector<std::string>{"u1"});
}

TEST_F(ExpirationTest, RevokeAndRevokePrefixAndForce) {
  auto a1 = Issue("db/creds/a", "a1", 60);
  auto a2 = Issue("db/creds/a", "a2", 60);
  auto ab = Issue("db/creds/ab", "ab", 60);
  auto b = Issue("db/creds/b", "b", 60);
  ASSERT_TRUE(manager_->Revoke(b->lease_id, true).ok());
  EXPECT_FALSE(Exists(b->lease_id));
  EXPECT_TRUE(manager_->Revoke("db/creds/b/unknown", true).ok());

  // "db/creds/a" means the directory, not every id starting with those bytes.
  ASSERT_TRUE(manager_->RevokePrefix("db/creds/a", true, false).ok());
  EXPECT_FALSE(Exists(a1->lease_id));
  EXPECT_FALSE(Exists(a2->lease_id));
  EXPECT_TRUE(Exists(ab->lease_id));

  // A failing engine: revoke-prefix fails and keeps the lease; force drops it.
  engine_->fail_revokes = 100;
  EXPECT_FALSE(manager_->RevokePrefix("db/creds/ab/", true, false).ok());
  EXPECT_TRUE(Exists(ab->lease_id));
  ASSERT_TRUE(manager_->RevokePrefix("db/creds/ab/", true, true).ok());
  EXPECT_FALSE(Exists(ab->lease_id));
  EXPECT_EQ(manager_->Pending(), 0u);
}

TEST_F(ExpirationTest, AsyncRevokeIsDoneByTheSchedule) {
  auto s = Issue("db/creds/a", "a1", 600);
  ASSERT_TRUE(manager_->Revoke(s->lease_id, false).ok());
  EXPECT_TRUE(Exists(s->lease_id));
  manager_->ProcessDue();
  EXPECT_FALSE(Exists(s->lease_id));
}

TEST_F(ExpirationTest, ListShowsChildren) {
  auto a = Issue("db/creds/a", "a1", 60);
  ASSERT_TRUE(Issue("db/creds/b", "b1", 60).ok());
  auto top = manager_->List("db/creds/");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(*top, (std::vector<std::string>{"a/", "b/"}));
  auto leaf = manager_->List("db/creds/a/");
  ASSERT_TRUE(leaf.ok());
  ASSERT_EQ(leaf->size(), 1u);
  EXPECT_EQ("db/creds/a/" + (*leaf)[0], a->lease_id);
}

TEST_F(ExpirationTest, RevokingATokenRevokesItsLeasesAndItsChildrens) {
  TokenEntry parent = MakeToken(0);
  TokenEntry child = MakeToken(0, parent.hash);
  auto p1 = Issue("db/creds/ro", "p1", 600, parent);
  auto c1 = Issue("db/creds/ro", "c1", 600, child);
  auto other = Issue("db/creds/ro", "other", 600, MakeToken(0));
  ASSERT_TRUE(tokens_.Revoke(parent.id).ok());
  EXPECT_FALSE(Exists(p1->lease_id));
  EXPECT_FALSE(Exists(c1->lease_id));
  EXPECT_TRUE(Exists(other->lease_id));
  EXPECT_EQ(engine_->Revoked(), 2u);
  auto index = barrier_.ListAll(leasekeys::TokenIndexPrefix(parent.hash));
  ASSERT_TRUE(index.ok());
  EXPECT_TRUE(index->empty());
}

TEST_F(ExpirationTest, BatchTokenLeasesBelongToTheParent) {
  TokenEntry parent = MakeToken(0);
  TokenEntry batch;
  batch.type = "batch";
  batch.parent = parent.hash;
  batch.hash = std::string(64, 'b');
  auto s = Issue("db/creds/ro", "b1", 600, batch);
  ASSERT_TRUE(tokens_.Revoke(parent.id).ok());
  EXPECT_FALSE(Exists(s->lease_id));

  TokenEntry orphan;
  orphan.type = "batch";
  orphan.creation_time = kStart;
  orphan.ttl = 30;
  auto o = Issue("db/creds/ro", "o1", 600, orphan);
  EXPECT_EQ(o->lease_duration, 30);  // cannot outlive the batch token
}

TEST_F(ExpirationTest, TokenLeaseExpiresTheTokenOnTimeAndFollowsRenewals) {
  TokenEntry t = MakeToken(5);
  const std::string lease = TokenLeaseId(t);
  EXPECT_EQ(lease, "auth/token/create/" + t.hash);
  auto e = manager_->Lookup(lease);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->auth);
  EXPECT_EQ(e->expire_time, kStart + 5);
  auto secret = Issue("db/creds/ro", "s1", 600, t);
  EXPECT_EQ(manager_->Renew(lease, 10).status().message(),
            "tokens cannot be renewed through this endpoint");

  now_ = kStart + 3;
  ASSERT_TRUE(tokens_.RenewByHash(t.hash, 10, 3600).ok());
  EXPECT_EQ(manager_->Lookup(lease)->expire_time, kStart + 13);
  now_ = kStart + 6;
  manager_->ProcessDue();
  ASSERT_TRUE(tokens_.EntryByHash(t.hash)->has_value());
  now_ = kStart + 13;
  manager_->ProcessDue();
  EXPECT_FALSE(tokens_.EntryByHash(t.hash)->has_value());
  EXPECT_FALSE(Exists(lease));
  EXPECT_FALSE(Exists(secret->lease_id));
  EXPECT_EQ(engine_->revoked, std::vector<std::string>{"s1"});

  // Root-like tokens without a TTL have no lease; revoking a token drops its lease.
  TokenEntry forever = MakeToken(0);
  EXPECT_FALSE(Exists(TokenLeaseId(forever)));
  TokenEntry gone = MakeToken(100);
  EXPECT_TRUE(Exists(TokenLeaseId(gone)));
  ASSERT_TRUE(tokens_.Revoke(gone.id).ok());
  EXPECT_FALSE(Exists(TokenLeaseId(gone)));
}

TEST_F(ExpirationTest, RevokingATokenLeaseRevokesTheToken) {
  TokenEntry t = MakeToken(100);
  ASSERT_TRUE(manager_->RevokePrefix("auth/token/", true, false).ok());
  EXPECT_FALSE(tokens_.EntryByHash(t.hash)->has_value());
}

TEST_F(ExpirationTest, ATokenAndItsLeaseAreOneWrite) {
  TokenEntry t = MakeToken(60);
  EXPECT_TRUE(Exists(TokenLeaseId(t)));
  EXPECT_EQ(manager_->Pending(), 1u);
  // The lease rides in the token store's own batch (one synced write, never
  // a token without its lease), not in a write of the manager's.
  flaky_.fail = true;
  TokenEntry u = MakeToken(60);
  flaky_.fail = false;
  EXPECT_TRUE(Exists(TokenLeaseId(u)));
  EXPECT_EQ(manager_->Pending(), 2u);
}

TEST_F(ExpirationTest, RestoreAfterResealAndOverdueLeasesAreRevoked) {
  auto soon = Issue("db/creds/ro", "soon", 10);
  auto later = Issue("db/creds/ro", "later", 1000);
  TokenEntry t = MakeToken(20);
  manager_->Stop();
  EXPECT_EQ(manager_->Pending(), 0u);
  now_ = kStart + 15;  // "soon" fell due while sealed
  ASSERT_TRUE(manager_->Start().ok());
  EXPECT_EQ(manager_->Pending(), 3u);
  manager_->ProcessDue();
  EXPECT_EQ(engine_->revoked, std::vector<std::string>{"soon"});
  EXPECT_TRUE(Exists(later->lease_id));
  now_ = kStart + 20;
  manager_->ProcessDue();
  EXPECT_FALSE(tokens_.EntryByHash(t.hash)->has_value());

  // A fresh manager over the same storage (a restart) finds the rest.
  manager_ = MakeManager(false);
  ASSERT_TRUE(manager_->Start().ok());
  EXPECT_EQ(manager_->Pending(), 1u);
  now_ = kStart + 1000;
  manager_->ProcessDue();
  EXPECT_FALSE(Exists(later->lease_id));
}

TEST_F(ExpirationTest, BackgroundWorkerRevokesWithoutBeingAsked) {
  manager_->Stop();
  manager_ = MakeManager(true);
  ASSERT_TRUE(manager_->Start().ok());
  // The worker is named (top -H, /proc/<pid>/task/*/comm).
  const auto named = [] {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      if (std::getline(comm, name) && name == "coffer-leases") return true;
    }
    return false;
  };
  const auto named_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!named() && std::chrono::steady_clock::now() < named_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(named());
  auto s = Issue("db/creds/ro", "bg", 1);
  now_ = kStart + 2;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (engine_->Revoked() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(engine_->Revoked(), 1u);
  manager_->Stop();
  EXPECT_FALSE(manager_->Running());
}

// The worker looks at least once a second: a lease due later than that does
// not wake it (every token and login schedules one), a lease due sooner does.
TEST_F(ExpirationTest, OnlyALeaseDueWithinASecondWakesTheWorker) {
  const uint64_t before = manager_->worker_wakeups();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Issue("db/creds/ro", "later" + std::to_string(i), 3600).ok());
  }
  MakeToken(3600);
  ASSERT_TRUE(Issue("db/creds/ro", "in-two-seconds", 2).ok());
  EXPECT_EQ(manager_->worker_wakeups(), before);
  ASSERT_TRUE(Issue("db/creds/ro", "soon", 1).ok());
  EXPECT_EQ(manager_->worker_wakeups(), before + 1);
  auto later = Issue("db/creds/ro", "revoked", 3600);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(manager_->worker_wakeups(), before + 1);
  // An asynchronous revocation is due now.
  ASSERT_TRUE(manager_->Revoke(later->lease_id, /*sync=*/false).ok());
  EXPECT_EQ(manager_->worker_wakeups(), before + 2);
}

// A token's own lease is found from the token (its id ends in the token's
// hash), so it takes no index entry under the token: one key fewer in every
// token's write. An index entry written by an older build still goes with
// the token.
TEST_F(ExpirationTest, ATokensOwnLeaseIsNotIndexedUnderItsToken) {
  TokenEntry t = MakeToken(60);
  EXPECT_TRUE(Exists(TokenLeaseId(t)));
  EXPECT_TRUE(barrier_.ListAll(leasekeys::TokenIndexPrefix(t.hash))->empty());
  auto secret = Issue("db/creds/ro", "s1", 600, t);
  EXPECT_EQ(barrier_.ListAll(leasekeys::TokenIndexPrefix(t.hash))->size(), 1u);
  ASSERT_TRUE(tokens_.Revoke(t.id).ok());
  EXPECT_FALSE(Exists(TokenLeaseId(t)));
  EXPECT_FALSE(Exists(secret->lease_id));

  TokenEntry old = MakeToken(60);
  ASSERT_TRUE(barrier_
                  .Put(leasekeys::TokenIndex(old.hash, TokenLeaseId(old)), TokenLeaseId(old))
                  .ok());
  ASSERT_TRUE(tokens_.Revoke(old.id).ok());
  EXPECT_FALSE(Exists(TokenLeaseId(old)));
  EXPECT_TRUE(barrier_.ListAll(leasekeys::TokenIndexPrefix(old.hash))->empty());
}

TEST_F(ExpirationTest, TidyDropsTheOwnLeaseOfAMissingToken) {
  TokenEntry kept = MakeToken(600);
  TokenEntry t = MakeToken(600);
  // The token vanishes without its hook (a crash between the token's delete
  // and its lease's).
  ASSERT_TRUE(barrier_.Delete(tokenkeys::Id(t.hash)).ok());
  auto report = manager_->Tidy();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->revoked, 1);
  EXPECT_FALSE(Exists(TokenLeaseId(t)));
  EXPECT_TRUE(Exists(TokenLeaseId(kept)));
  EXPECT_EQ(manager_->Tidy()->revoked, 0);
}

TEST_F(ExpirationTest, TidyDropsLeasesOfMissingTokensAndStaleIndexEntries) {
  TokenEntry t = MakeToken(0);
  auto s = Issue("db/creds/ro", "orphaned", 600, t);
  // The token vanishes without its hook (a crash, a restore out of order).
  ASSERT_TRUE(barrier_.Delete(tokenkeys::Id(t.hash)).ok());
  // An index entry whose lease is gone.
  TokenEntry u = MakeToken(0);
  ASSERT_TRUE(
      barrier_.Put(leasekeys::TokenIndex(u.hash, "db/creds/ro/gone"), "db/creds/ro/gone").ok());
  auto report = manager_->Tidy();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->revoked, 1);
  EXPECT_EQ(report->stale_index, 1);
  EXPECT_FALSE(Exists(s->lease_id));
  EXPECT_EQ(engine_->revoked, std::vector<std::string>{"orphaned"});
}

TEST_F(ExpirationTest, HundredThousandLeasesRestoreInSeconds) {
  constexpr int kLeases = 100'000;
  storage::Batch batch;
  for (int i = 0; i < kLeases; ++i) {
    LeaseEntry e;
    e.lease_id = NewLeaseId("db/creds/ro");
    e.path = "db/creds/ro";
    e.mount_path = "db/";
    e.secret_data = Json{{"user", "u" + std::to_string(i)}};
    e.client_token_hash = std::string(64, 'a');
    e.issue_time = kStart;
    e.expire_time = kStart + 60 + i % 3600;
    e.renewable = true;
    batch.push_back(storage::Op::Put(leasekeys::Entry(e.lease_id), e.StoredRecord()));
    if (batch.size() == 1000) {
      ASSERT_TRUE(barrier_.Write(batch).ok());
      batch.clear();
    }
  }
  manager_->Stop();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(manager_->Start().ok());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  EXPECT_EQ(manager_->Pending(), static_cast<size_t>(kLeases));
  std::printf("restored %d leases in %lld ms\n", kLeases, static_cast<long long>(ms));
  EXPECT_LT(ms, 10'000);
}

}  // namespace
}  // namespace coffer::core
