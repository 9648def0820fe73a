#include "engines/kv_v2_state.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace coffer::engines {
namespace {

// A write holds its secret's lock until its commit is durable, so writers of
// different secrets should seldom share one: of 64 secrets written at once
// (make bench's 64 connections), at most a few may wait on another's lock.
TEST(KvV2StateTest, DifferentSecretsSeldomShareALock) {
  KvV2State state(nullptr);
  for (int start : {0, 300, 900}) {
    std::set<const fiber::SharedMutex*> locks;
    for (int i = start; i < start + 64; ++i) {
      locks.insert(&state.KeyLock("secret-" + std::to_string(i)));
    }
    EXPECT_GE(locks.size(), 60u) << "secrets " << start << "..";
  }
  EXPECT_EQ(&state.KeyLock("a/b"), &state.KeyLock("a/b"));
}

}  // namespace
}  // namespace coffer::engines
