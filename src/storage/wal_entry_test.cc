#include "storage/wal_entry.h"

#include <gtest/gtest.h>

namespace coffer::storage {
namespace {

WalEntry Sample(uint64_t index, std::string prev) {
  WalEntry e;
  e.index = index;
  e.commit_time_ms = 1700000000123;
  e.prev_hash = std::move(prev);
  e.ops = {{WalOp::Kind::kPut, StorageClass::kReplicated, "logical/u/k", std::string("\x01\x00\xff", 3)},
           {WalOp::Kind::kDelete, StorageClass::kLocal, "sys/token/id/ab", ""}};
  return e;
}

TEST(WalEntry, KeysSortInIndexOrder) {
  EXPECT_EQ(WalEntryKey(42), "node/wal/entry/000000000000002a");
  EXPECT_LT(WalEntryKey(9), WalEntryKey(10));
  EXPECT_LT(WalEntryKey(0xff), WalEntryKey(0x100));
}

TEST(WalEntry, RoundTripsAndHashCoversPrevAndBody) {
  WalEntry e = Sample(7, WalGenesisHash());
  std::string record = SealWalEntry(e);
  ASSERT_EQ(e.hash.size(), kWalHashSize);
  auto decoded = DecodeWalEntry(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, e);
  // Same body, different predecessor: different hash.
  WalEntry other = Sample(7, std::string(32, '\x01'));
  SealWalEntry(other);
  EXPECT_NE(other.hash, e.hash);
}

TEST(WalEntry, EveryFlippedByteIsDetected) {
  WalEntry e = Sample(1, WalGenesisHash());
  std::string record = SealWalEntry(e);
  for (size_t i = 0; i < record.size(); ++i) {
    std::string bad = record;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    EXPECT_FALSE(DecodeWalEntry(bad).ok()) << "byte " << i;
  }
  for (size_t n = 0; n < record.size(); ++n) {
    EXPECT_FALSE(DecodeWalEntry(record.substr(0, n)).ok()) << "length " << n;
  }
}

TEST(WalEntry, VerifyChain) {
  WalEntry a = Sample(1, WalGenesisHash());
  SealWalEntry(a);
  WalEntry b = Sample(2, a.hash);
  SealWalEntry(b);
  EXPECT_TRUE(VerifyWalChain(0, WalGenesisHash(), {a, b}).ok());
  EXPECT_FALSE(VerifyWalChain(0, std::string(32, 'x'), {a, b}).ok());
  EXPECT_FALSE(VerifyWalChain(1, a.hash, {a, b}).ok());  // wrong start index
  WalEntry tampered = b;
  tampered.ops[0].value = "other";
  EXPECT_FALSE(VerifyWalChain(0, WalGenesisHash(), {a, tampered}).ok());
}

TEST(WalState, RoundTripAndValidation) {
  WalState s{5, 9, std::string(32, '\x07'), 1234};
  auto back = DecodeWalState(EncodeWalState(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(DecodeWalState("").ok());
  WalState bad{11, 9, std::string(32, '\0'), 0};
  EXPECT_FALSE(DecodeWalState(EncodeWalState(bad)).ok());
}

TEST(UpstreamPosition, KeyRoundTripAndValidation) {
  EXPECT_EQ(UpstreamPositionKey("performance"), "replication/upstream/performance");
  UpstreamPosition p{42, std::string(32, '\x09'), 1700000000123};
  std::string bytes = EncodeUpstreamPosition(p);
  EXPECT_EQ(bytes.size(), 1u + 8 + 32 + 8);
  auto back = DecodeUpstreamPosition(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_EQ(DecodeUpstreamPosition("").status().code(), Code::kCorruption);
  EXPECT_FALSE(DecodeUpstreamPosition(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(DecodeUpstreamPosition(bytes + "x").ok());
  std::string wrong_version = bytes;
  wrong_version[0] = 2;
  EXPECT_FALSE(DecodeUpstreamPosition(wrong_version).ok());
}

}  // namespace
}  // namespace coffer::storage
