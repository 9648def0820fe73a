#include "core/barrier.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

// A minimal in-memory storage::Backend, local to this test so the barrier can
// be tested apart from the real backends.
class FakeBackend : public storage::Backend {
 public:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = data_.find(std::string(key));
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Write(const storage::Batch& batch) override {
    std::lock_guard lock(mu_);
    if (fail_writes) return IOError("fake backend: write refused");
    ++writes_;
    for (const auto& op : batch) {
      if (op.kind == storage::Op::Kind::kPut) {
        data_[op.key] = op.value;
      } else {
        data_.erase(op.key);
      }
    }
    return Status::Ok();
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    std::set<std::string> children;
    for (const auto& [k, v] : data_) {
      if (!k.starts_with(prefix)) continue;
      std::string rest = k.substr(prefix.size());
      size_t slash = rest.find('/');
      children.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
    }
    return std::vector<std::string>(children.begin(), children.end());
  }
  Result<std::vector<std::string>> ListAll(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, v] : data_) {
      if (k.starts_with(prefix)) out.push_back(k);
    }
    return out;
  }
  std::string_view Type() const override { return "fake"; }

  // Test access.
  bool fail_writes = false;  // set only while no write runs
  std::string Raw(const std::string& key) {
    std::lock_guard lock(mu_);
    return data_.at(key);
  }
  void SetRaw(const std::string& key, std::string value) {
    std::lock_guard lock(mu_);
    data_[key] = std::move(value);
  }
  std::map<std::string, std::string> Snapshot() {
    std::lock_guard lock(mu_);
    return data_;
  }
  int writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> data_;
  int writes_ = 0;
};

// YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ (no std::regex: GCC 12 warns inside
// <regex> under sanitizer builds).
bool IsRfc3339Nano(const std::string& t) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
  if (t.size() != shape.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (shape[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != shape[i]) return false;
  }
  return true;
}

uint32_t TermOf(const std::string& envelope) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(envelope[1])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(envelope[2])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(envelope[3])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(envelope[4]));
}

class BarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_key_ = crypto::RandomBytes(32).value();
    ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
    ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  }

  FakeBackend physical_;
  Barrier barrier_{&physical_};
  std::string root_key_;
};

TEST(BarrierInitTest, InitializeThenUnseal) {
  FakeBackend physical;
  Barrier barrier(&physical);
  EXPECT_TRUE(barrier.Sealed());
  EXPECT_FALSE(barrier.Initialized().value());
  EXPECT_EQ(barrier.Unseal(std::string(32, 'k')).code(), Code::kInvalidArgument);  // no keyring
  EXPECT_EQ(barrier.Initialize("short").code(), Code::kInvalidArgument);
  EXPECT_FALSE(barrier.Initialized().value());

  const std::string root = crypto::RandomBytes(32).value();
  ASSERT_TRUE(barrier.Initialize(root).ok());
  EXPECT_TRUE(barrier.Initialized().value());
  EXPECT_TRUE(barrier.Sealed()) << "Initialize must leave the barrier sealed";
  EXPECT_EQ(barrier.Initialize(root).code(), Code::kInvalidArgument);

  ASSERT_TRUE(barrier.Unseal(root).ok());
  EXPECT_FALSE(barrier.Sealed());
  EXPECT_EQ(barrier.RootKey().value(), root);
  EXPECT_EQ(TermOf(physical.Raw("core/keyring")), 0u) << "keyring is sealed under term 0";
}

TEST_F(BarrierTest, RoundTrip) {
  ASSERT_TRUE(barrier_.Put("secret/a", "hello").ok());
  auto got = barrier_.Get("secret/a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, "hello");
  EXPECT_FALSE(barrier_.Get("secret/missing").value().has_value());

  ASSERT_TRUE(barrier_.Put("secret/empty", "").ok());
  EXPECT_EQ(barrier_.Get("secret/empty").value().value(), "");

  ASSERT_TRUE(barrier_.Delete("secret/a").ok());
  EXPECT_FALSE(barrier_.Get("secret/a").value().has_value());
}

TEST_F(BarrierTest, BatchIsOnePhysicalWrite) {
  ASSERT_TRUE(barrier_.Put("x/old", "1").ok());
  const int before = physical_.writes();
  ASSERT_TRUE(barrier_
                  .Write({storage::Op::Put("x/a", "A"), storage::Op::Put("x/b", "B"),
                          storage::Op::Delete("x/old")})
                  .ok());
  EXPECT_EQ(physical_.writes(), before + 1);
  EXPECT_EQ(barrier_.Get("x/a").value().value(), "A");
  EXPECT_EQ(barrier_.Get("x/b").value().value(), "B");
  EXPECT_FALSE(barrier_.Get("x/old").value().has_value());
  EXPECT_EQ(barrier_.List("x/").value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(barrier_.ListAll("x/").value(), (std::vector<std::string>{"x/a", "x/b"}));
}

TEST_F(BarrierTest, SealedRefusesEverything) {
  ASSERT_TRUE(barrier_.Put("secret/a", "v").ok());
  barrier_.Seal();
  EXPECT_TRUE(barrier_.Sealed());
  barrier_.Seal();  // idempotent
  EXPECT_EQ(barrier_.Get("secret/a").status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.Put("secret/b", "v").code(), Code::kSealed);
  EXPECT_EQ(barrier_.Delete("secret/a").code(), Code::kSealed);
  EXPECT_EQ(barrier_.List("secret/").status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.ListAll("").status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.Encrypt("p", "v").status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.Decrypt("p", std::string(40, 'x')).status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.GetKeyStatus().status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.RootKey().status().code(), Code::kSealed);
  EXPECT_EQ(barrier_.Rotate().code(), Code::kSealed);
}

TEST_F(BarrierTest, SealUnsealKeepsData) {
  ASSERT_TRUE(barrier_.Put("secret/a", "persisted").ok());
  barrier_.Seal();
  ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  EXPECT_EQ(barrier_.Get("secret/a").value().value(), "persisted");

  // A second barrier over the same storage (a restart) reads it too.
  Barrier restarted(&physical_);
  ASSERT_TRUE(restarted.Unseal(root_key_).ok());
  EXPECT_EQ(restarted.Get("secret/a").value().value(), "persisted");
}

TEST_F(BarrierTest, WrongRootKeyKeepsItSealed) {
  barrier_.Seal();
  std::string wrong = root_key_;
  wrong[7] = static_cast<char>(wrong[7] ^ 0x01);
  Status st = barrier_.Unseal(wrong);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("invalid key"), std::string::npos) << st.ToString();
  EXPECT_TRUE(barrier_.Sealed());
  EXPECT_EQ(barrier_.Unseal(root_key_.substr(0, 16)).code(), Code::kInvalidArgument);
  EXPECT_TRUE(barrier_.Sealed());
  EXPECT_TRUE(barrier_.Unseal(root_key_).ok());
  EXPECT_FALSE(barrier_.Sealed());
}

TEST_F(BarrierTest, UnsealWhenUnsealed) {
  EXPECT_TRUE(barrier_.Unseal(root_key_).ok());
  EXPECT_EQ(barrier_.Unseal(crypto::RandomBytes(32).value()).code(), Code::kInvalidArgument);
  EXPECT_FALSE(barrier_.Sealed());
}

TEST_F(BarrierTest, CorruptKeyringFailsUnseal) {
  barrier_.Seal();
  std::string ring = physical_.Raw("core/keyring");
  ring[ring.size() / 2] = static_cast<char>(ring[ring.size() / 2] ^ 0x10);
  physical_.SetRaw("core/keyring", ring);
  EXPECT_FALSE(barrier_.Unseal(root_key_).ok());
  EXPECT_TRUE(barrier_.Sealed());
}

TEST_F(BarrierTest, FlippedBitAnywhereIsCorruption) {
  ASSERT_TRUE(barrier_.Put("secret/a", "some secret value").ok());
  const std::string good = physical_.Raw("secret/a");
  ASSERT_EQ(good.size(), 1 + 4 + 12 + 17 + 16u);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit : {0, 7}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      physical_.SetRaw("secret/a", bad);
      EXPECT_EQ(barrier_.Get("secret/a").status().code(), Code::kCorruption)
          << "byte " << i << " bit " << bit;
    }
  }
  physical_.SetRaw("secret/a", good.substr(0, 20));
  EXPECT_EQ(barrier_.Get("secret/a").status().code(), Code::kCorruption);
  physical_.SetRaw("secret/a", good);
  EXPECT_EQ(barrier_.Get("secret/a").value().value(), "some secret value");
}

TEST_F(BarrierTest, ValueMovedToAnotherPathFails) {
  ASSERT_TRUE(barrier_.Put("secret/a", "value").ok());
  physical_.SetRaw("secret/b", physical_.Raw("secret/a"));
  EXPECT_EQ(barrier_.Get("secret/b").status().code(), Code::kCorruption);
  auto ct = barrier_.Encrypt("one/path", "v").value();
  EXPECT_EQ(barrier_.Decrypt("other/path", ct).status().code(), Code::kCorruption);
  EXPECT_EQ(barrier_.Decrypt("one/path", ct).value(), "v");
}

TEST_F(BarrierTest, UnknownTermIsCorruption) {
  ASSERT_TRUE(barrier_.Put("secret/a", "value").ok());
  std::string v = physical_.Raw("secret/a");
  v[1] = 0;
  v[2] = 0;
  v[3] = 0;
  v[4] = 99;
  physical_.SetRaw("secret/a", v);
  Status st = barrier_.Get("secret/a").status();
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("unknown key term 99"), std::string::npos) << st.ToString();
  // Term 0 (the root key) is never a data term.
  v[4] = 0;
  physical_.SetRaw("secret/a", v);
  EXPECT_EQ(barrier_.Get("secret/a").status().code(), Code::kCorruption);
}

TEST_F(BarrierTest, EnvelopeLayout) {
  auto ct = barrier_.Encrypt("p", "abc");
  ASSERT_TRUE(ct.ok());
  ASSERT_EQ(ct->size(), 1 + 4 + 12 + 3 + 16u);
  EXPECT_EQ((*ct)[0], 1);
  EXPECT_EQ(TermOf(*ct), 1u);
  auto again = barrier_.Encrypt("p", "abc").value();
  EXPECT_NE(ct->substr(5, 12), again.substr(5, 12)) << "nonces must differ";
}

TEST_F(BarrierTest, RotateKeepsOldTermsReadable) {
  ASSERT_TRUE(barrier_.Put("secret/old", "v1").ok());
  EXPECT_EQ(TermOf(physical_.Raw("secret/old")), 1u);
  ASSERT_TRUE(barrier_.Rotate().ok());
  ASSERT_TRUE(barrier_.Put("secret/new", "v2").ok());
  EXPECT_EQ(TermOf(physical_.Raw("secret/new")), 2u);
  EXPECT_EQ(barrier_.Get("secret/old").value().value(), "v1");
  EXPECT_EQ(barrier_.Get("secret/new").value().value(), "v2");
  EXPECT_EQ(barrier_.GetKeyStatus().value().term, 2u);

  // The rotated keyring was persisted: after a restart term 2 is active.
  barrier_.Seal();
  ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  EXPECT_EQ(barrier_.GetKeyStatus().value().term, 2u);
  EXPECT_EQ(barrier_.Get("secret/old").value().value(), "v1");
  ASSERT_TRUE(barrier_.Rotate().ok());
  ASSERT_TRUE(barrier_.Put("secret/newer", "v3").ok());
  EXPECT_EQ(TermOf(physical_.Raw("secret/newer")), 3u);
  EXPECT_EQ(barrier_.Get("secret/new").value().value(), "v2");
}

TEST_F(BarrierTest, KeyStatusCountsEncryptions) {
  auto st = barrier_.GetKeyStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->term, 1u);
  EXPECT_EQ(st->encryptions, 0u);
  EXPECT_TRUE(IsRfc3339Nano(st->install_time)) << st->install_time;
  EXPECT_FALSE(IsRfc3339Nano("2024-01-01T00:00:00Z"));

  ASSERT_TRUE(barrier_.Write({storage::Op::Put("a", "1"), storage::Op::Put("b", "2"),
                              storage::Op::Delete("c")})
                  .ok());
  ASSERT_TRUE(barrier_.Encrypt("p", "x").ok());
  EXPECT_EQ(barrier_.GetKeyStatus().value().encryptions, 3u);
  ASSERT_TRUE(barrier_.Rotate().ok());
  EXPECT_EQ(barrier_.GetKeyStatus().value().encryptions, 0u);
  EXPECT_NE(barrier_.GetKeyStatus().value().install_time, "");
}

TEST_F(BarrierTest, KeyringNotAccessibleThroughBarrier) {
  const std::string ring = physical_.Raw("core/keyring");
  EXPECT_EQ(barrier_.Get("core/keyring").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(barrier_.Put("core/keyring", "x").code(), Code::kPermissionDenied);
  EXPECT_EQ(barrier_.Delete("core/keyring").code(), Code::kPermissionDenied);
  EXPECT_EQ(barrier_.Put("core/keyring/sub", "x").code(), Code::kPermissionDenied);
  // A batch with one reserved op is refused as a whole.
  EXPECT_EQ(barrier_.Write({storage::Op::Put("ok/key", "v"), storage::Op::Delete("core/keyring")})
                .code(),
            Code::kPermissionDenied);
  EXPECT_FALSE(barrier_.Get("ok/key").value().has_value());
  EXPECT_EQ(physical_.Raw("core/keyring"), ring);
  // Neighbouring core/ keys are ordinary.
  EXPECT_TRUE(barrier_.Put("core/cluster-info", "x").ok());
}

TEST_F(BarrierTest, PhysicalNeverHoldsPlaintextOrKeys) {
  const std::string plaintext = "PLAINTEXT-MARKER-0123456789";
  ASSERT_TRUE(barrier_.Put("secret/a", plaintext).ok());
  ASSERT_TRUE(barrier_.Write({storage::Op::Put("secret/b", plaintext + "-b")}).ok());
  ASSERT_TRUE(barrier_.Rotate().ok());
  ASSERT_TRUE(barrier_.Put("secret/c", plaintext).ok());
  const std::string root_b64 = crypto::Base64Encode(root_key_);
  for (const auto& [key, value] : physical_.Snapshot()) {
    EXPECT_EQ(value.find(plaintext.substr(0, 12)), std::string::npos) << key;
    EXPECT_EQ(value.find(root_key_), std::string::npos) << key;
    EXPECT_EQ(value.find(root_b64), std::string::npos) << key;
    EXPECT_EQ(value.find("active_term"), std::string::npos) << key;
  }
}

TEST_F(BarrierTest, ConcurrentReadersWritersAndRotate) {
  constexpr int kThreads = 4;
  constexpr int kOps = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        const std::string value = "v" + std::to_string(i);
        if (!barrier_.Put(key, value).ok()) ++failures;
        auto got = barrier_.Get(key);
        if (!got.ok() || !got->has_value() || **got != value) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 5; ++i) {
      if (!barrier_.Rotate().ok()) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(barrier_.GetKeyStatus().value().term, 6u);
  EXPECT_EQ(barrier_.ListAll("c/").value().size(), static_cast<size_t>(kThreads * kOps));
}

}  // namespace
}  // namespace coffer::core

namespace coffer::core {
namespace {

// Replication rotates the keyring below a running barrier: values written
// under the new term are unreadable until ReloadKeyring.
TEST_F(BarrierTest, ReloadKeyringPicksUpATermRotatedBelow) {
  Barrier other(&physical_);
  ASSERT_TRUE(other.Unseal(root_key_).ok());
  ASSERT_TRUE(other.Rotate().ok());
  ASSERT_TRUE(other.Put("k", "v2").ok());
  EXPECT_EQ(barrier_.Get("k").status().code(), Code::kCorruption);
  ASSERT_TRUE(barrier_.ReloadKeyring().ok());
  auto got = barrier_.Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(**got, "v2");
  EXPECT_EQ(barrier_.GetKeyStatus()->term, 2u);
  barrier_.Seal();
  EXPECT_EQ(barrier_.ReloadKeyring().code(), Code::kSealed);
}

TEST_F(BarrierTest, MemoizedReadsAnswerOnlyForTheSameStoredBytes) {
  barrier_.MemoizeDecryptsUnder({"tok/"});
  ASSERT_TRUE(barrier_.Put("tok/a", "v1").ok());
  const std::string v1 = physical_.Raw("tok/a");
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v1");
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v1");
  // Other bytes below: decrypted, not remembered ones.
  physical_.SetRaw("tok/a", barrier_.Encrypt("tok/a", "v2").value());
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v2");
  std::string flipped = v1;
  flipped.back() = static_cast<char>(flipped.back() ^ 1);
  physical_.SetRaw("tok/a", flipped);
  EXPECT_EQ(barrier_.Get("tok/a").status().code(), Code::kCorruption);
  physical_.SetRaw("tok/a", v1);
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v1");
  // Bytes moved to another key do not answer there (the path is bound in).
  physical_.SetRaw("tok/b", v1);
  EXPECT_EQ(barrier_.Get("tok/b").status().code(), Code::kCorruption);
  ASSERT_TRUE(barrier_.Delete("tok/a").ok());
  EXPECT_FALSE(barrier_.Get("tok/a").value().has_value());
}

// A write of a memoized key the memo holds leaves its plaintext there for the
// new stored bytes: the next read decrypts nothing. A key the memo does not
// hold is not added by a write (new tokens would push the hot ones out).
TEST_F(BarrierTest, AWriteOfAMemoizedKeyIsReadBackWithoutDecrypting) {
  barrier_.MemoizeDecryptsUnder({"tok/"});
  ASSERT_TRUE(barrier_.Put("tok/a", "v1").ok());
  uint64_t before = barrier_.decryptions();
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v1");  // first read: opened, remembered
  EXPECT_EQ(barrier_.decryptions(), before + 1);
  ASSERT_TRUE(barrier_.Put("tok/a", "v2").ok());
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v2");
  EXPECT_EQ(*barrier_.GetShared("tok/a").value(), "v2");
  EXPECT_EQ(barrier_.decryptions(), before + 1);
  // What the memo answers is bound to the stored bytes, not to the write:
  // other bytes below are decrypted.
  physical_.SetRaw("tok/a", barrier_.Encrypt("tok/a", "v3").value());
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v3");
  EXPECT_EQ(barrier_.decryptions(), before + 2);
  // A key the memo does not hold: written, then read with one decryption.
  ASSERT_TRUE(barrier_.Put("tok/b", "w").ok());
  EXPECT_EQ(barrier_.Get("tok/b").value(), "w");
  EXPECT_EQ(barrier_.decryptions(), before + 3);
  // Keys outside the memoized prefixes are decrypted on every read.
  ASSERT_TRUE(barrier_.Put("other", "x").ok());
  EXPECT_EQ(barrier_.Get("other").value(), "x");
  EXPECT_EQ(barrier_.Get("other").value(), "x");
  EXPECT_EQ(barrier_.decryptions(), before + 5);
  // A failed write leaves the memo as it was: the stored bytes still read.
  physical_.fail_writes = true;
  EXPECT_FALSE(barrier_.Put("tok/a", "v4").ok());
  physical_.fail_writes = false;
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v3");
}

TEST_F(BarrierTest, MountPrefixesAreMemoizedAlongsideTheFixedOnesAndReplacedWhole) {
  barrier_.MemoizeDecryptsUnder({"tok/"});
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("tok/a"));
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u1/kv2/meta/a"));
  // Unsorted, duplicated and nested: "logical/u2/" covers the longer one.
  barrier_.MemoizeMountDecryptsUnder({"logical/u3/kv2/meta/", "logical/u1/kv2/meta/",
                                      "logical/u2/kv2/meta/", "logical/u2/",
                                      "logical/u1/kv2/meta/"});
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("tok/a"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("logical/u1/kv2/meta/a"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("logical/u1/kv2/meta/"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("logical/u2/anything"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("logical/u2/kv2/meta/zzz"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("logical/u3/kv2/meta/a/b"));
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u1/kv2/data/a"));
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u1/kv2/meta"));
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u0/kv2/meta/a"));
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u4/kv2/meta/a"));
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf(""));
  // Memoized reads still answer only for the same bytes.
  ASSERT_TRUE(barrier_.Put("logical/u1/kv2/meta/a", "m1").ok());
  EXPECT_EQ(barrier_.Get("logical/u1/kv2/meta/a").value(), "m1");
  EXPECT_EQ(barrier_.Get("logical/u1/kv2/meta/a").value(), "m1");
  ASSERT_TRUE(barrier_.Put("logical/u1/kv2/meta/a", "m2").ok());
  EXPECT_EQ(barrier_.Get("logical/u1/kv2/meta/a").value(), "m2");
  // A later set replaces the earlier one; the fixed prefixes stay.
  barrier_.MemoizeMountDecryptsUnder({"logical/u4/kv2/meta/"});
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u1/kv2/meta/a"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("logical/u4/kv2/meta/a"));
  EXPECT_TRUE(barrier_.MemoizesDecryptsOf("tok/a"));
  barrier_.MemoizeMountDecryptsUnder({});
  EXPECT_FALSE(barrier_.MemoizesDecryptsOf("logical/u4/kv2/meta/a"));
}

// GetShared answers a memoized key's plaintext without copying it (the same
// pointer while the stored bytes stay), any other key's freshly decrypted;
// both change with the stored value.
TEST_F(BarrierTest, GetSharedSharesMemoizedPlaintextOnly) {
  barrier_.MemoizeDecryptsUnder({"tok/"});
  ASSERT_TRUE(barrier_.Put("tok/a", "v1").ok());
  ASSERT_TRUE(barrier_.Put("secret/a", "s1").ok());
  storage::SharedValue first = barrier_.GetShared("tok/a").value();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, "v1");
  EXPECT_EQ(barrier_.GetShared("tok/a").value(), first);
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v1");
  storage::SharedValue secret = barrier_.GetShared("secret/a").value();
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(*secret, "s1");
  EXPECT_NE(barrier_.GetShared("secret/a").value(), secret);
  ASSERT_TRUE(barrier_.Put("tok/a", "v2").ok());
  ASSERT_TRUE(barrier_.Put("secret/a", "s2").ok());
  EXPECT_EQ(*barrier_.GetShared("tok/a").value(), "v2");
  EXPECT_EQ(*barrier_.GetShared("secret/a").value(), "s2");
  EXPECT_EQ(*first, "v1");  // a holder's value never changes under it
  EXPECT_EQ(barrier_.GetShared("tok/missing").value(), nullptr);
  EXPECT_EQ(barrier_.GetShared("core/keyring").status().code(), Code::kPermissionDenied);
}

// A keyring loaded below the barrier (a replicated one, or a replaced
// storage's) may not open what the old one did: the memo must not answer.
TEST_F(BarrierTest, TheMemoGoesWithTheKeyring) {
  barrier_.MemoizeDecryptsUnder({"tok/"});
  ASSERT_TRUE(barrier_.Put("tok/a", "v").ok());
  EXPECT_EQ(barrier_.Get("tok/a").value(), "v");  // remembered
  // Same root key, another term-1 key.
  FakeBackend elsewhere;
  Barrier fresh(&elsewhere);
  ASSERT_TRUE(fresh.Initialize(root_key_).ok());
  physical_.SetRaw("core/keyring", elsewhere.Raw("core/keyring"));
  ASSERT_TRUE(barrier_.ReloadKeyring().ok());
  EXPECT_EQ(barrier_.Get("tok/a").status().code(), Code::kCorruption);

  // The same through a seal and an unseal.
  ASSERT_TRUE(barrier_.Put("tok/a", "w").ok());
  EXPECT_EQ(barrier_.Get("tok/a").value(), "w");
  FakeBackend third;
  Barrier other(&third);
  ASSERT_TRUE(other.Initialize(root_key_).ok());
  barrier_.Seal();
  EXPECT_EQ(barrier_.Get("tok/a").status().code(), Code::kSealed);
  physical_.SetRaw("core/keyring", third.Raw("core/keyring"));
  ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  EXPECT_EQ(barrier_.Get("tok/a").status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace coffer::core
