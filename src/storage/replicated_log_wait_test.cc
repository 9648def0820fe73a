// WaitForCommitAfter and WaitForUpstream: woken by commits, never miss one,
// and time out otherwise. No sleeps: only the timeouts under test.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "storage/inmem_backend.h"
#include "storage/replicated_log.h"

namespace coffer::storage {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kPerf = "performance";

class WaitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(log_.Open().ok()); }
  Status ApplyUpTo(uint64_t index) {
    WalEntry e;
    e.ops.push_back({WalOp::Kind::kPut, StorageClass::kReplicated, "sys/policy/p" + std::to_string(index), "v"});
    return log_.ApplyUpstream(kPerf, {e}, {index, std::string(32, 'h'), 0});
  }
  BackendPtr physical_ = NewInmemBackend();
  ReplicatedLog log_{physical_.get(), {}};
};

TEST_F(WaitTest, CommitWaitTimesOutWithoutCommits) {
  const auto start = Clock::now();
  EXPECT_EQ(log_.WaitForCommitAfter(0, milliseconds(60)), 0u);
  EXPECT_GE(Clock::now() - start, milliseconds(60));
}

TEST_F(WaitTest, CommitWaitReturnsAtOnceWhenAlreadyPast) {
  ASSERT_TRUE(log_.Put("sys/policy/a", "1").ok());
  ASSERT_TRUE(log_.Put("sys/policy/b", "1").ok());
  const auto start = Clock::now();
  EXPECT_EQ(log_.WaitForCommitAfter(1, milliseconds(5000)), 2u);
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  // Node-only writes take no index and wake nobody into a false answer.
  ASSERT_TRUE(log_.Put("node/private", "n").ok());
  EXPECT_EQ(log_.WaitForCommitAfter(2, milliseconds(20)), 2u);
}

TEST_F(WaitTest, EveryCommitWakesACommitWaiter) {
  // A waiter per index, each racing the writer that commits it: a missed
  // wakeup would show as a 5 s wait.
  const auto start = Clock::now();
  for (uint64_t i = 0; i < 200; ++i) {
    auto waiter = std::async(std::launch::async, [&, i] { return log_.WaitForCommitAfter(i, milliseconds(5000)); });
    ASSERT_TRUE(log_.Put("sys/policy/k" + std::to_string(i), "v").ok());
    EXPECT_EQ(waiter.get(), i + 1);
  }
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
}

TEST_F(WaitTest, ApplyUpstreamAndApplySyncCommitsWakeCommitWaiters) {
  auto waiter = std::async(std::launch::async, [&] { return log_.WaitForCommitAfter(0, milliseconds(5000)); });
  ASSERT_TRUE(ApplyUpTo(1).ok());
  EXPECT_EQ(waiter.get(), 1u);
}

TEST_F(WaitTest, UpstreamWaitTimesOutBelowTheIndex) {
  ASSERT_TRUE(ApplyUpTo(3).ok());
  const auto start = Clock::now();
  EXPECT_FALSE(log_.WaitForUpstream(kPerf, 4, milliseconds(60)));
  EXPECT_GE(Clock::now() - start, milliseconds(60));
  EXPECT_FALSE(log_.WaitForUpstream("dr", 1, milliseconds(0)));
  EXPECT_TRUE(log_.WaitForUpstream(kPerf, 3, milliseconds(0)));
  EXPECT_TRUE(log_.WaitForUpstream(kPerf, 2, milliseconds(0)));
  EXPECT_TRUE(log_.WaitForUpstream("dr", 0, milliseconds(0)));
}

TEST_F(WaitTest, UpstreamWaitWakesOnApplyUpstreamAndApplySync) {
  const auto start = Clock::now();
  for (uint64_t i = 1; i <= 100; ++i) {
    auto waiter = std::async(std::launch::async, [&, i] { return log_.WaitForUpstream(kPerf, i, milliseconds(5000)); });
    if (i % 2) {
      ASSERT_TRUE(ApplyUpTo(i).ok());
    } else {
      ASSERT_TRUE(log_.ApplySync(kPerf, {}, UpstreamPosition{i, std::string(32, 's'), 0}).ok());
    }
    EXPECT_TRUE(waiter.get()) << i;
  }
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
  // Other commits do not satisfy it.
  auto waiter = std::async(std::launch::async, [&] { return log_.WaitForUpstream(kPerf, 101, milliseconds(100)); });
  ASSERT_TRUE(log_.Put("sys/policy/unrelated", "v").ok());
  EXPECT_FALSE(waiter.get());
}

}  // namespace
}  // namespace coffer::storage
