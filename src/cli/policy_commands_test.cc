// policy commands against the fake transport, and the local formatter.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"
#include "cli/policy_format.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

class TempPolicy {
 public:
  explicit TempPolicy(const std::string& content) {
    char name[] = "/tmp/coffer-policy-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
  }
  ~TempPolicy() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
};

constexpr char kMessy[] =
    "path \"secret/data/*\" {capabilities=[\"read\",\"create\"]\n"
    "  allowed_parameters = { \"ttl\" = [\"1h\",\"2h\"] , \"*\" = [] } }\n"
    "path \"sys/mounts\" { policy = \"read\" }\n";

constexpr char kCanonical[] =
    "path \"secret/data/*\" {\n"
    "  capabilities       = [\"read\", \"create\"]\n"
    "  allowed_parameters = {\n"
    "    \"*\"   = []\n"
    "    \"ttl\" = [\"1h\", \"2h\"]\n"
    "  }\n"
    "}\n"
    "\n"
    "path \"sys/mounts\" {\n"
    "  policy = \"read\"\n"
    "}\n";

TEST(PolicyFormatTest, CanonicalLayoutAndIdempotent) {
  Result<std::string> got = FormatPolicy(kMessy, "p.hcl");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, kCanonical);
  Result<std::string> again = FormatPolicy(*got, "p.hcl");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *got);
}

TEST(PolicyFormatTest, JsonPolicyBecomesHcl) {
  Result<std::string> got =
      FormatPolicy(R"({"path": {"a/*": {"capabilities": ["list"]}}})", "p.json");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "path \"a/*\" {\n  capabilities = [\"list\"]\n}\n");
}

TEST(PolicyFormatTest, StringsAreEscaped) {
  Result<std::string> got =
      FormatPolicy("path \"a\\\"b\" {\n capabilities = [\"read\"]\n}\n", "p.hcl");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "path \"a\\\"b\" {\n  capabilities = [\"read\"]\n}\n");
}

TEST(PolicyFormatTest, SyntaxErrorsNameLineAndColumn) {
  Result<std::string> got = FormatPolicy("path \"a\" {\n  capabilities = [\"read\"\n", "bad.hcl");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message().rfind("bad.hcl:", 0), 0u) << got.status().message();
  Result<std::string> semantic =
      FormatPolicy("path \"a\" {\n  capabilities = [\"fly\"]\n}\n", "p.hcl");
  ASSERT_FALSE(semantic.ok());
  EXPECT_NE(semantic.status().message().find("failed to parse policy"), std::string::npos);
}

TEST(PolicyFormatTest, CommentDetectionIgnoresStringsAndHeredocs) {
  EXPECT_TRUE(HasComments("# top\npath \"a\" {}"));
  EXPECT_TRUE(HasComments("path \"a\" {} // trailing"));
  EXPECT_TRUE(HasComments("path \"a\" { /* x */ }"));
  EXPECT_FALSE(HasComments("path \"a/#/b//c\" { capabilities = [\"read\"] }"));
  EXPECT_FALSE(HasComments("x = <<EOF\n# not a comment\nEOF\npath \"a\" {}"));
  EXPECT_TRUE(HasComments("x = <<EOF\ntext\nEOF\n# after\n"));
}

TEST(PolicyFmtCommandTest, RewritesFileInPlace) {
  TempPolicy f(kMessy);
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"policy", "fmt", f.path()}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Formatted policy: " + f.path() + "\n");
  EXPECT_EQ(f.Read(), kCanonical);
  EXPECT_TRUE(s.requests().empty());
}

TEST(PolicyFmtCommandTest, ErrorsLeaveTheFileAlone) {
  TempPolicy bad("path \"a\" {\n  capabilities = \n");
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"policy", "fmt", bad.path()}), 1);
  EXPECT_EQ(s.err().rfind(bad.path() + ":3:", 0), 0u) << s.err();
  EXPECT_EQ(bad.Read(), "path \"a\" {\n  capabilities = \n");

  TempPolicy commented("# keep me\npath \"a\" { capabilities = [\"read\"] }\n");
  FakeServer c;
  EXPECT_EQ(Dispatch(c.ctx(), {"policy", "fmt", commented.path()}), 1);
  EXPECT_NE(c.err().find("comments"), std::string::npos);
  EXPECT_EQ(commented.Read(), "# keep me\npath \"a\" { capabilities = [\"read\"] }\n");
  FakeServer d;
  EXPECT_EQ(Dispatch(d.ctx(), {"policy", "fmt", "-drop-comments", commented.path()}), 0);
  EXPECT_EQ(commented.Read(), "path \"a\" {\n  capabilities = [\"read\"]\n}\n");

  FakeServer m;
  EXPECT_EQ(Dispatch(m.ctx(), {"policy", "fmt", "/nonexistent/coffer.hcl"}), 1);
  EXPECT_EQ(m.err().rfind("Error reading source file: ", 0), 0u);
}

TEST(PolicyWriteTest, FileAndStdin) {
  TempPolicy f("path \"a\" { capabilities = [\"read\"] }\n");
  FakeServer s;
  s.Reply("PUT /v1/sys/policies/acl/dev", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"policy", "write", " Dev ", f.path()}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Uploaded policy: dev\n");
  EXPECT_EQ(s.only_request().json(), (Json{{"policy", f.Read()}}));

  FakeServer in;
  in.SetStdin("path \"b\" {}");
  in.Reply("PUT /v1/sys/policies/acl/ops", 204, nullptr);
  EXPECT_EQ(Dispatch(in.ctx(), {"policy", "write", "ops", "-"}), 0);
  EXPECT_EQ(in.only_request().json(), (Json{{"policy", "path \"b\" {}"}}));

  FakeServer e;
  e.Reply("PUT /v1/sys/policies/acl/bad", 400, Json{{"errors", {"failed to parse policy"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"policy", "write", "bad", f.path()}), 2);
  EXPECT_EQ(e.err().rfind("Error uploading policy: ", 0), 0u);

  FakeServer nofile;
  EXPECT_EQ(Dispatch(nofile.ctx(), {"policy", "write", "x", "/nonexistent/p.hcl"}), 1);
  EXPECT_TRUE(nofile.requests().empty());
}

TEST(PolicyReadTest, PrintsTextOrNoPolicyNamed) {
  FakeServer s;
  s.Reply("GET /v1/sys/policies/acl/dev", 200,
          Json{{"data", {{"name", "dev"}, {"policy", "path \"a\" {}\n\n"}}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"policy", "read", "dev"}), 0);
  EXPECT_EQ(s.out(), "path \"a\" {}\n");

  FakeServer j;
  j.Reply("GET /v1/sys/policies/acl/dev", 200, Json{{"data", {{"policy", "x"}}}});
  EXPECT_EQ(Dispatch(j.ctx(), {"policy", "read", "-format=json", "dev"}), 0);
  EXPECT_EQ(Json::parse(j.out()), (Json{{"policy", "x"}}));

  FakeServer none;
  none.Reply("GET /v1/sys/policies/acl/nope", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(none.ctx(), {"policy", "read", "nope"}), 2);
  EXPECT_EQ(none.err(), "No policy named: nope\n");
}

TEST(PolicyListDeleteTest, Requests) {
  FakeServer l;
  l.Reply("GET /v1/sys/policies/acl?list=true", 200,
          Json{{"data", {{"keys", {"default", "dev", "root"}}}}});
  EXPECT_EQ(Dispatch(l.ctx(), {"policy", "list"}), 0);
  EXPECT_EQ(l.out(), "default\ndev\nroot\n");

  FakeServer j;
  j.Reply("GET /v1/sys/policies/acl?list=true", 200, Json{{"data", {{"keys", {"default"}}}}});
  EXPECT_EQ(Dispatch(j.ctx(), {"policy", "list", "-format=json"}), 0);
  EXPECT_EQ(Json::parse(j.out()), (Json{"default"}));

  FakeServer d;
  d.Reply("DELETE /v1/sys/policies/acl/dev", 204, nullptr);
  EXPECT_EQ(Dispatch(d.ctx(), {"policy", "delete", "dev"}), 0);
  EXPECT_EQ(d.out(), "Success! Deleted policy: dev\n");

  FakeServer e;
  e.Reply("DELETE /v1/sys/policies/acl/default", 400,
          Json{{"errors", {"cannot delete default policy"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"policy", "delete", "default"}), 2);
  EXPECT_EQ(e.err().rfind("Error deleting default: ", 0), 0u);
}

}  // namespace
}  // namespace coffer::cli
