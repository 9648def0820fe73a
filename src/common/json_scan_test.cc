#include "common/json_scan.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

TEST(JsonScanTest, BracketsInStringsAreNotStructure) {
  JsonBrackets b = ScanJsonBrackets(R"({"a":["}",1,{"b":"\"]"}]} x)");
  EXPECT_EQ(b.max_depth, 3);
  EXPECT_EQ(b.first_end, 25u);
  EXPECT_TRUE(b.balanced);
}

TEST(JsonScanTest, FirstEndAndBalance) {
  EXPECT_EQ(ScanJsonBrackets("{}{}").first_end, 2u);
  EXPECT_TRUE(ScanJsonBrackets("{}{}").balanced);
  EXPECT_EQ(ScanJsonBrackets("42").first_end, std::string_view::npos);
  EXPECT_TRUE(ScanJsonBrackets("42").balanced);
  EXPECT_FALSE(ScanJsonBrackets("{").balanced);
  EXPECT_FALSE(ScanJsonBrackets("}{").balanced);
  EXPECT_FALSE(ScanJsonBrackets(R"({"a)").balanced);
  EXPECT_EQ(ScanJsonBrackets("[[[]]]").max_depth, 3);
}

}  // namespace
}  // namespace coffer
