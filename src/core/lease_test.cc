#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "core/lease.h"
#include "core/lease_queue.h"

namespace coffer::core {
namespace {

LeaseEntry SampleLease() {
  LeaseEntry e;
  e.lease_id = "database/creds/ro/AbCdEfGhIjKlMnOpQrStUvWx";
  e.path = "database/creds/ro";
  e.mount_path = "database/";
  e.secret_data = Json{{"username", "v-ro-123"}, {"n", 3}};
  e.client_token_hash = std::string(64, 'a');
  e.issue_time = 1000;
  e.expire_time = 4600;
  e.last_renewal_time = 2000;
  e.max_ttl_end = 9000;
  e.renewable = true;
  e.state = LeaseEntry::State::kRevocationFailed;
  e.revoke_attempts = 3;
  e.last_error = "connection refused";
  e.next_attempt_time = 5000;
  return e;
}

void ExpectSame(const LeaseEntry& a, const LeaseEntry& b) {
  EXPECT_EQ(a.lease_id, b.lease_id);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.mount_path, b.mount_path);
  EXPECT_EQ(a.secret_data, b.secret_data);
  EXPECT_EQ(a.client_token_hash, b.client_token_hash);
  EXPECT_EQ(a.issue_time, b.issue_time);
  EXPECT_EQ(a.expire_time, b.expire_time);
  EXPECT_EQ(a.last_renewal_time, b.last_renewal_time);
  EXPECT_EQ(a.max_ttl_end, b.max_ttl_end);
  EXPECT_EQ(a.renewable, b.renewable);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.revoke_attempts, b.revoke_attempts);
  EXPECT_EQ(a.last_error, b.last_error);
  EXPECT_EQ(a.next_attempt_time, b.next_attempt_time);
}

TEST(LeaseEntry, RoundTripsThroughJsonText) {
  for (auto state : {LeaseEntry::State::kActive, LeaseEntry::State::kRevoking,
                     LeaseEntry::State::kRevocationFailed}) {
    LeaseEntry e = SampleLease();
    e.state = state;
    auto back = LeaseEntry::FromStored(Json::parse(e.StoredRecord()));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSame(e, *back);
  }
}

// The stored record is the JSON library's compact dump of the fields (the
// format earlier builds wrote), whatever the secret data holds.
TEST(LeaseEntry, StoredRecordIsTheLibrarysDumpOfItsFields) {
  LeaseEntry e = SampleLease();
  for (const Json& data : {Json(), Json::object(), e.secret_data,
                           Json{{"nested", {{"list", {1, "two", nullptr, 2.5}}}}, {"q", "\"\n"}}}) {
    e.secret_data = data;
    e.last_error = "caf\xc3\xa9 \"refused\"";
    const Json expected{{"lease_id", e.lease_id},
                        {"path", e.path},
                        {"mount_path", e.mount_path},
                        {"secret_data", e.secret_data},
                        {"client_token_hash", e.client_token_hash},
                        {"issue_time", e.issue_time},
                        {"expire_time", e.expire_time},
                        {"last_renewal_time", e.last_renewal_time},
                        {"max_ttl_end", e.max_ttl_end},
                        {"renewable", e.renewable},
                        {"auth", e.auth},
                        {"state", "revocation_failed"},
                        {"revoke_attempts", e.revoke_attempts},
                        {"last_error", e.last_error},
                        {"next_attempt_time", e.next_attempt_time}};
    EXPECT_EQ(e.StoredRecord(), expected.dump());
  }
}

TEST(LeaseEntry, OptionalFieldsDefault) {
  Json j = {{"lease_id", "kv/x/abc"}, {"path", "kv/x"}, {"issue_time", 1}, {"expire_time", 2}};
  auto e = LeaseEntry::FromStored(j);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->state, LeaseEntry::State::kActive);
  EXPECT_FALSE(e->renewable);
  EXPECT_EQ(e->max_ttl_end, 0);
  EXPECT_TRUE(e->secret_data.is_null());
}

TEST(LeaseEntry, MalformedIsCorruptionNotCrash) {
  Json good = Json::parse(SampleLease().StoredRecord());
  const Json bad[] = {
      Json::array(),
      Json("text"),
      [&] { Json j = good; j.erase("lease_id"); return j; }(),
      [&] { Json j = good; j["lease_id"] = ""; return j; }(),
      [&] { Json j = good; j["expire_time"] = "soon"; return j; }(),
      [&] { Json j = good; j["renewable"] = 1; return j; }(),
      [&] { Json j = good; j["state"] = "zombie"; return j; }(),
      [&] { Json j = good; j["issue_time"] = 1.5; return j; }(),
  };
  for (const Json& j : bad) {
    auto e = LeaseEntry::FromStored(j);
    ASSERT_FALSE(e.ok()) << j.dump();
    EXPECT_EQ(e.status().code(), Code::kCorruption) << j.dump();
  }
}

bool IsBase62(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

TEST(LeaseId, PathThenSlashThen24Base62) {
  std::set<std::string> seen;
  for (const char* path : {"database/creds/readonly", "database/creds/readonly/"}) {
    std::string id = NewLeaseId(path);
    const std::string prefix = "database/creds/readonly/";
    ASSERT_EQ(id.size(), prefix.size() + 24) << id;
    EXPECT_EQ(id.substr(0, prefix.size()), prefix);
    EXPECT_TRUE(IsBase62(id.substr(prefix.size()))) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2u);
}

TEST(LeaseKeys, Layout) {
  EXPECT_EQ(leasekeys::Entry("kv/a/XYZ"), "sys/expire/id/kv/a/XYZ");
  const std::string th(64, 'b');
  EXPECT_EQ(leasekeys::TokenIndexPrefix(th), "sys/expire/token/" + th + "/");
  std::string h = leasekeys::LeaseIdHash("kv/a/XYZ");
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find('/'), std::string::npos);
  EXPECT_NE(h, leasekeys::LeaseIdHash("kv/a/XYZ2"));
  EXPECT_EQ(leasekeys::TokenIndex(th, "kv/a/XYZ"), "sys/expire/token/" + th + "/" + h);
}

TEST(LeaseRenew, Table) {
  // Issued at 1000 for 3600 s, never renewed.
  auto base = [] {
    LeaseEntry e;
    e.lease_id = "kv/x/id";
    e.issue_time = 1000;
    e.expire_time = 4600;
    e.renewable = true;
    return e;
  };
  struct Case {
    const char* name;
    LeaseEntry lease;
    int64_t increment, now, mount_max;
    int64_t want;  // -1: error
    const char* error;
  };
  auto with = [&](auto f) {
    LeaseEntry e = base();
    f(e);
    return e;
  };
  const Case cases[] = {
      {"increment from now", base(), 600, 2000, 0, 2600, ""},
      {"increment 0 uses current duration", base(), 0, 2000, 0, 5600, ""},
      {"increment 0 after renewal uses renewed duration",
       with([](LeaseEntry& e) { e.last_renewal_time = 4000; }), 0, 4100, 0, 4700, ""},
      {"capped by mount max from issue", base(), 100000, 2000, 7200, 8200, ""},
      {"capped by lease max_ttl_end", with([](LeaseEntry& e) { e.max_ttl_end = 5000; }), 100000,
       2000, 7200, 5000, ""},
      {"mount max earlier than max_ttl_end", with([](LeaseEntry& e) { e.max_ttl_end = 90000; }),
       100000, 2000, 7200, 8200, ""},
      {"at the cap returns the cap", with([](LeaseEntry& e) { e.max_ttl_end = 4600; }), 3600,
       4000, 0, 4600, ""},
      {"huge increment saturates", base(), INT64_MAX, 2000, 0, INT64_MAX, ""},
      {"expired", base(), 600, 4600, 0, -1, "lease expired"},
      {"cap already passed", base(), 600, 3000, 1500, -1, "lease expired"},
      {"not renewable", with([](LeaseEntry& e) { e.renewable = false; }), 600, 2000, 0, -1,
       "lease is not renewable"},
      {"being revoked", with([](LeaseEntry& e) { e.state = LeaseEntry::State::kRevoking; }), 600,
       2000, 0, -1, "lease is not renewable"},
      {"negative increment", base(), -5, 2000, 0, -1, "invalid increment"},
  };
  for (const Case& c : cases) {
    auto got = RenewedExpiry(c.lease, c.increment, c.now, c.mount_max);
    if (c.want < 0) {
      ASSERT_FALSE(got.ok()) << c.name;
      EXPECT_EQ(got.status().code(), Code::kInvalidArgument) << c.name;
      EXPECT_EQ(got.status().message(), c.error) << c.name;
    } else {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
      EXPECT_EQ(*got, c.want) << c.name;
    }
  }
}

TEST(LeaseBackoff, DoublesThenCaps) {
  EXPECT_EQ(BackoffSeconds(0), 0);
  EXPECT_EQ(BackoffSeconds(-3), 0);
  EXPECT_EQ(BackoffSeconds(1), 1);
  EXPECT_EQ(BackoffSeconds(2), 2);
  EXPECT_EQ(BackoffSeconds(3), 4);
  EXPECT_EQ(BackoffSeconds(6), 32);
  EXPECT_EQ(BackoffSeconds(12), 2048);
  EXPECT_EQ(BackoffSeconds(13), kMaxBackoffSeconds);
  EXPECT_EQ(BackoffSeconds(1000000), kMaxBackoffSeconds);
  for (int i = 1; i < 100; ++i) EXPECT_LE(BackoffSeconds(i), BackoffSeconds(i + 1));
}

TEST(LeaseQueue, OrdersByTimeThenBySchedulingOrder) {
  LeaseQueue q;
  EXPECT_TRUE(q.Add("c", 30));
  EXPECT_TRUE(q.Add("b", 10));
  EXPECT_TRUE(q.Add("a", 10));
  EXPECT_FALSE(q.Add("a", 5));  // already queued; unchanged
  EXPECT_EQ(q.size(), 3u);
  int64_t next = 0;
  ASSERT_TRUE(q.NextDue(&next));
  EXPECT_EQ(next, 10);
  auto due = q.PopDue(20, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0], (LeaseQueue::Item{10, "b"}));  // scheduled before "a"
  EXPECT_EQ(due[1], (LeaseQueue::Item{10, "a"}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_FALSE(q.Contains("a"));
  EXPECT_TRUE(q.PopDue(29, 10).empty());
  EXPECT_EQ(q.PopDue(30, 10).size(), 1u);
  EXPECT_FALSE(q.NextDue(&next));
}

TEST(LeaseQueue, AMovedLeaseQueuesBehindThoseAlreadyDueThen) {
  LeaseQueue q;
  q.Add("x", 5);
  q.Add("y", 5);
  q.Update("x", 5);  // same time: stays where it is
  q.Add("early", 1);  // earlier than the rest, scheduled last
  auto first = q.PopDue(5, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].lease_id, "early");
  EXPECT_EQ(first[1].lease_id, "x");
  q.Add("x", 5);
  q.Add("z", 5);
  q.Update("x", 7);
  q.Update("x", 5);  // back to 5, now after y and z
  auto rest = q.PopDue(10, 10);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].lease_id, "y");
  EXPECT_EQ(rest[1].lease_id, "z");
  EXPECT_EQ(rest[2].lease_id, "x");
  EXPECT_EQ(q.size(), 0u);
}

TEST(LeaseQueue, UpdateAndRemove) {
  LeaseQueue q;
  q.Add("x", 100);
  q.Add("y", 200);
  q.Update("x", 300);  // moved later
  q.Update("z", 50);   // absent: added
  EXPECT_EQ(q.size(), 3u);
  auto due = q.PopDue(250, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].lease_id, "z");
  EXPECT_EQ(due[1].lease_id, "y");
  EXPECT_TRUE(q.Remove("x"));
  EXPECT_FALSE(q.Remove("x"));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(q.PopDue(1000, 10).empty());
}

TEST(LeaseQueue, HundredThousandEntries) {
  LeaseQueue q;
  constexpr int kN = 100000;
  // Times in a scrambled order so insertion order != due order.
  for (int i = 0; i < kN; ++i) {
    q.Add("kv/l/" + std::to_string(i), (static_cast<int64_t>(i) * 7919) % kN);
  }
  ASSERT_EQ(q.size(), static_cast<size_t>(kN));
  // Remove every 10th, push every 10th+1 past the horizon.
  for (int i = 0; i < kN; i += 10) ASSERT_TRUE(q.Remove("kv/l/" + std::to_string(i)));
  for (int i = 1; i < kN; i += 10) q.Update("kv/l/" + std::to_string(i), kN + i);
  EXPECT_EQ(q.size(), static_cast<size_t>(kN - kN / 10));

  int64_t last = -1;
  size_t popped = 0;
  while (true) {
    auto batch = q.PopDue(kN - 1, 1000);
    if (batch.empty()) break;
    EXPECT_LE(batch.size(), 1000u);
    for (const auto& item : batch) {
      ASSERT_GE(item.due_time, last);
      ASSERT_LT(item.due_time, kN);
      last = item.due_time;
    }
    popped += batch.size();
  }
  EXPECT_EQ(popped, static_cast<size_t>(kN - 2 * (kN / 10)));
  EXPECT_EQ(q.size(), static_cast<size_t>(kN / 10));
  EXPECT_TRUE(q.Contains("kv/l/1"));
  EXPECT_FALSE(q.Contains("kv/l/0"));
}

TEST(LeaseQueue, ConcurrentAddAndPop) {
  LeaseQueue q;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&q, t] {
      for (int i = 0; i < kPerThread; ++i) q.Add(std::to_string(t) + "/" + std::to_string(i), i);
    });
  }
  size_t popped = 0;
  std::thread popper([&] {
    for (int i = 0; i < 200; ++i) popped += q.PopDue(kPerThread, 50).size();
  });
  for (auto& th : threads) th.join();
  popper.join();
  while (true) {
    auto b = q.PopDue(kPerThread, 1000);
    if (b.empty()) break;
    popped += b.size();
  }
  EXPECT_EQ(popped, 4u * kPerThread);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace coffer::core
