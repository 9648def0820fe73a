// The generated protobuf and gRPC code builds, links and round-trips.
#include <gtest/gtest.h>

#include "replication.grpc.pb.h"
#include "replication.pb.h"

namespace coffer::replication {
namespace {

namespace pb = ::coffer::replication::v1;

TEST(ReplicationProto, WalEntryRoundTrips) {
  pb::WalEntry entry;
  entry.set_index(42);
  entry.set_prev_hash(std::string(32, '\0'));
  pb::WalOp* op = entry.add_ops();
  op->set_kind(pb::WalOp::KIND_DELETE);
  op->set_storage_class(pb::STORAGE_CLASS_LOCAL);
  op->set_key("sys/token/id/ab");
  std::string wire;
  ASSERT_TRUE(entry.SerializeToString(&wire));
  pb::WalEntry back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.index(), 42u);
  ASSERT_EQ(back.ops_size(), 1);
  EXPECT_EQ(back.ops(0).kind(), pb::WalOp::KIND_DELETE);
  EXPECT_EQ(back.ops(0).key(), "sys/token/id/ab");
  EXPECT_FALSE(back.ParseFromString("\xff\xff\xff"));
}

TEST(ReplicationProto, ServiceDeclaresTheRpcs) {
  EXPECT_STREQ(pb::Replication::service_full_name(), "coffer.replication.v1.Replication");
  const auto* service = pb::WalEntry::descriptor()->file()->FindServiceByName("Replication");
  ASSERT_NE(service, nullptr);
  EXPECT_NE(service->FindMethodByName("StreamWals"), nullptr);
  EXPECT_NE(service->FindMethodByName("MerkleDiff"), nullptr);
  EXPECT_NE(service->FindMethodByName("MerkleKeys"), nullptr);
  EXPECT_NE(service->FindMethodByName("FetchKeys"), nullptr);
  EXPECT_NE(service->FindMethodByName("Forward"), nullptr);
  EXPECT_TRUE(service->FindMethodByName("StreamWals")->server_streaming());
}

}  // namespace
}  // namespace coffer::replication
