#include "cli/output.h"

#include <gtest/gtest.h>

namespace coffer::cli {
namespace {

TEST(FormatTableTest, AlignsColumnsWithHeader) {
  std::string got =
      FormatTable({{"Seal Type", "shamir"}, {"Total Shares", "5"}, {"Sealed", "false"}});
  EXPECT_EQ(got,
            "Key             Value\n"
            "---             -----\n"
            "Seal Type       shamir\n"
            "Total Shares    5\n"
            "Sealed          false\n");
}

TEST(FormatTableTest, WithoutHeaderUsesOnlyRowWidths) {
  EXPECT_EQ(FormatTable({{"Key Term", "2"}, {"Install Time", "t"}}, false),
            "Key Term        2\n"
            "Install Time    t\n");
}

TEST(FormatTableTest, HeaderWidthCountsWhenKeysAreShort) {
  EXPECT_EQ(FormatTable({{"a", "1"}}),
            "Key    Value\n"
            "---    -----\n"
            "a      1\n");
}

TEST(FormatTableTest, EmptyValueLeavesNoTrailingSpaces) {
  EXPECT_EQ(FormatTable({{"Nonce", ""}, {"Started", "true"}}, false),
            "Nonce\n"
            "Started    true\n");
}

TEST(FormatTableTest, NoRowsStillPrintsHeader) {
  EXPECT_EQ(FormatTable({}), "Key    Value\n---    -----\n");
  EXPECT_EQ(FormatTable({}, false), "");
}

TEST(FormatJsonTest, IndentsTwoSpaces) {
  EXPECT_EQ(FormatJson(Json{{"a", 1}}), "{\n  \"a\": 1\n}\n");
  nlohmann::ordered_json o;
  o["z"] = 1;
  o["a"] = 2;
  EXPECT_EQ(FormatJson(o), "{\n  \"z\": 1,\n  \"a\": 2\n}\n");
}

TEST(FormatValueTest, RendersLikeGoPercentV) {
  EXPECT_EQ(FormatValue("text"), "text");
  EXPECT_EQ(FormatValue(true), "true");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(3.0), "3");
  EXPECT_EQ(FormatValue(1.5), "1.5");
  EXPECT_EQ(FormatValue(nullptr), "<nil>");
  EXPECT_EQ(FormatValue(Json::array({"a", 1, false})), "[a 1 false]");
  EXPECT_EQ(FormatValue(Json{{"b", 2}, {"a", "x"}}), "map[a:x b:2]");
}

TEST(FormatApiErrorTest, ListsEachError) {
  EXPECT_EQ(FormatApiError("PUT", "http://127.0.0.1:8200/v1/sys/seal", 403,
                           R"({"errors":["permission denied","invalid token"]})"),
            "Error making API request.\n\n"
            "URL: PUT http://127.0.0.1:8200/v1/sys/seal\n"
            "Code: 403. Errors:\n\n"
            "* permission denied\n"
            "* invalid token");
}

TEST(FormatApiErrorTest, EmptyErrorList) {
  EXPECT_EQ(FormatApiError("GET", "http://h/v1/x", 404, R"({"errors":[]})"),
            "Error making API request.\n\nURL: GET http://h/v1/x\nCode: 404. Errors:");
}

TEST(FormatApiErrorTest, NonJsonBodyIsShownRaw) {
  EXPECT_EQ(FormatApiError("GET", "http://h/v1/x", 502, "bad gateway"),
            "Error making API request.\n\nURL: GET http://h/v1/x\nCode: 502. Raw Message:\n\n"
            "bad gateway");
}

}  // namespace
}  // namespace coffer::cli
