#include "storage/factory.h"

#include <gtest/gtest.h>

#include "storage/temp_dir_for_test.h"

namespace coffer::storage {
namespace {

TEST(FactoryTest, InmemNeedsNoOptions) {
  Result<BackendPtr> b = OpenBackend("inmem", Json());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->Type(), "inmem");
}

TEST(FactoryTest, RocksdbAndFileAliasOpenAtPath) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  for (const char* type : {"rocksdb", "file"}) {
    Result<BackendPtr> b = OpenBackend(type, Json{{"path", dir.path() + "/" + type}});
    ASSERT_TRUE(b.ok()) << type << ": " << b.status().ToString();
    EXPECT_EQ((*b)->Type(), "rocksdb");
    EXPECT_TRUE((*b)->Put("k", "v").ok());
  }
}

TEST(FactoryTest, RocksdbRequiresAStringPath) {
  for (const Json& options :
       {Json(), Json::object(), Json{{"path", ""}}, Json{{"path", nullptr}}}) {
    Result<BackendPtr> b = OpenBackend("rocksdb", options);
    ASSERT_FALSE(b.ok()) << options.dump();
    EXPECT_EQ(b.status(), InvalidArgument("storage path is required")) << options.dump();
  }
  Result<BackendPtr> b = OpenBackend("file", Json{{"path", 7}});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
}

TEST(FactoryTest, UnknownTypeIsInvalidArgument) {
  Result<BackendPtr> b = OpenBackend("consul", Json::object());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status(), InvalidArgument("unknown storage type \"consul\""));
  EXPECT_FALSE(OpenBackend("RocksDB", Json{{"path", "/tmp/x"}}).ok());  // names are exact
}

}  // namespace
}  // namespace coffer::storage
