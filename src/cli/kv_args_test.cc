#include "cli/kv_args.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "cli/api_client.h"
#include "cli/kv_mount.h"
#include "cli/path_util.h"

namespace coffer::cli {
namespace {

StdinReader Stdin(std::string text, int* reads = nullptr) {
  return [text, reads]() -> Result<std::string> {
    if (reads) ++*reads;
    return text;
  };
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/coffer-kvargs-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(KeyValueArgsTest, PlainValuesAndRepeatedKeys) {
  Result<Json> got = ParseKeyValueArgs({"a=1", "b=x=y", "c=", "a=2", "a=3", ""}, nullptr);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, (Json{{"a", {"1", "2", "3"}}, {"b", "x=y"}, {"c", ""}}));
}

TEST(KeyValueArgsTest, FileAndEscapedAt) {
  TempFile f("line1\nline2\n");
  Result<Json> got = ParseKeyValueArgs({"cert=@" + f.path(), "lit=\\@home"}, nullptr);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["cert"], "line1\nline2\n");
  EXPECT_EQ((*got)["lit"], "@home");
  Result<Json> missing = ParseKeyValueArgs({"x=@/nonexistent/coffer-file"}, nullptr);
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("error reading file"), std::string::npos);
}

TEST(KeyValueArgsTest, StdinValueAndStdinJson) {
  int reads = 0;
  Result<Json> value = ParseKeyValueArgs({"password=-", "user=bob"}, Stdin("s3cret\n", &reads));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ((*value)["password"], "s3cret\n");
  EXPECT_EQ(reads, 1);

  Result<Json> json = ParseKeyValueArgs({"-"}, Stdin(R"({"n": 3, "nested": {"k": true}})"));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, (Json{{"n", 3}, {"nested", {{"k", true}}}}));

  Result<Json> merged = ParseKeyValueArgs({"x=1", "-"}, Stdin(R"({"y": 2})"));
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, (Json{{"x", "1"}, {"y", 2}}));
}

TEST(KeyValueArgsTest, Errors) {
  EXPECT_EQ(ParseKeyValueArgs({"novalue"}, nullptr).status().message(), "format must be key=value");
  EXPECT_EQ(ParseKeyValueArgs({"a=-", "b=-"}, Stdin("x")).status().message(),
            "stdin already consumed");
  EXPECT_EQ(ParseKeyValueArgs({"-"}, Stdin("[1,2]")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseKeyValueArgs({"-"}, Stdin("{bad")).status().code(), Code::kInvalidArgument);
}

TEST(KeyValueArgsTest, JsonObjectFromFile) {
  TempFile f(R"({"from_file": "yes"})");
  Result<Json> got = ParseKeyValueArgs({"@" + f.path()}, nullptr);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (Json{{"from_file", "yes"}}));
}

TEST(QueryArgsTest, ValuesAsTextAndEncoding) {
  auto got = ParseQueryArgs({"version=2", "k=a b", "k=c&d"}, nullptr);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(QueryString(*got), "k=a+b&k=c%26d&version=2");
  EXPECT_EQ(QueryString({}), "");
}

TEST(KeyValueFlagTest, SplitsOnFirstEquals) {
  auto got = ParseKeyValueFlag({"a=1", "b=x=y"}, "metadata");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->at("b"), "x=y");
  EXPECT_EQ(ParseKeyValueFlag({"oops"}, "metadata").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseKeyValueFlag({"=v"}, "metadata").status().code(), Code::kInvalidArgument);
}

TEST(SplitCommaListTest, RepeatedAndCommaSeparated) {
  EXPECT_EQ(SplitCommaList({"1,2", " 3 ", ",,4,"}), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_TRUE(SplitCommaList({}).empty());
}

TEST(PathUtilTest, SanitizeTrailingSlashAndJoin) {
  EXPECT_EQ(SanitizePath("/secret/foo/"), "secret/foo");
  EXPECT_EQ(SanitizePath("///"), "");
  EXPECT_EQ(EnsureTrailingSlash("kv1"), "kv1/");
  EXPECT_EQ(EnsureTrailingSlash("kv1//"), "kv1/");
  EXPECT_EQ(EnsureTrailingSlash(""), "");
  EXPECT_EQ(JoinPath({"secret/", "data", "foo/bar"}), "secret/data/foo/bar");
  EXPECT_EQ(JoinPath({"", "foo"}), "foo");
  EXPECT_EQ(JoinPath({"a//b", "./c", "../d/"}), "a/b/d");
  EXPECT_EQ(JoinPath({"", ""}), "");
}

TEST(EscapePathTest, KeepsPathCharactersEscapesOthers) {
  EXPECT_EQ(EscapePath("secret/data/my key"), "secret/data/my%20key");
  EXPECT_EQ(EscapePath("a?b#c%"), "a%3Fb%23c%25");
  EXPECT_EQ(EscapePath("x-y_z.~:@=+,"), "x-y_z.~:@=+,");
}

TEST(AddPrefixToKvPathTest, InsertsSegmentAfterMount) {
  EXPECT_EQ(AddPrefixToKvPath("secret/foo", "secret/", "data"), "secret/data/foo");
  EXPECT_EQ(AddPrefixToKvPath("secret/a/b", "secret/", "metadata"), "secret/metadata/a/b");
  EXPECT_EQ(AddPrefixToKvPath("secret", "secret/", "metadata"), "secret/metadata");
  EXPECT_EQ(AddPrefixToKvPath("secret/", "secret/", "metadata"), "secret/metadata");
  EXPECT_EQ(AddPrefixToKvPath("team/kv/app", "team/kv/", "data"), "team/kv/data/app");
  // A mount path with a leading part the user's path omits (a namespace).
  EXPECT_EQ(AddPrefixToKvPath("secret/foo", "ns1/secret/", "data"), "secret/data/foo");
}

}  // namespace
}  // namespace coffer::cli
