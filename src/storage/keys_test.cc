#include "storage/keys.h"

#include <gtest/gtest.h>

namespace coffer::storage {
namespace {

TEST(KeysTest, ValidateKey) {
  EXPECT_TRUE(ValidateKey("a").ok());
  EXPECT_TRUE(ValidateKey("a/\xff/\x01").ok());
  EXPECT_EQ(ValidateKey("").code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateKey(std::string_view("a\0b", 3)).code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateBatch({Op::Put("ok", ""), Op::Delete("")}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(ValidateBatch({}).ok());
}

TEST(KeysTest, ImmediateChild) {
  auto leaf = ImmediateChild("a/", "a/b");
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(leaf->name, "b");
  EXPECT_FALSE(leaf->is_dir);
  auto dir = ImmediateChild("a/", "a/c/d/e");
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(dir->name, "c/");
  EXPECT_TRUE(dir->is_dir);
  EXPECT_EQ(ImmediateChild("", "x/y")->name, "x/");
  EXPECT_FALSE(ImmediateChild("a/", "a/").has_value());  // the prefix itself
  EXPECT_FALSE(ImmediateChild("a/", "b/c").has_value());
  EXPECT_FALSE(ImmediateChild("a/", "a").has_value());
}

TEST(KeysTest, SkipPastDirIsTheFirstKeyAfterTheDirectory) {
  std::string skip = SkipPastDir("a/b/");
  EXPECT_EQ(skip, "a/b0");
  EXPECT_GT(skip, std::string("a/b/\xff\xff\xff"));
  EXPECT_LT(std::string("a/b/"), skip);
  EXPECT_LE(skip, std::string("a/b0"));
}

TEST(KeysTest, PrefixUpperBound) {
  EXPECT_EQ(PrefixUpperBound("a/"), "a0");
  EXPECT_EQ(PrefixUpperBound("ab"), "ac");
  EXPECT_EQ(PrefixUpperBound("a\xff"), "b");
  EXPECT_EQ(PrefixUpperBound("a\xff\xff"), "b");
  EXPECT_EQ(PrefixUpperBound(""), std::nullopt);
  EXPECT_EQ(PrefixUpperBound("\xff\xff"), std::nullopt);
}

}  // namespace
}  // namespace coffer::storage
