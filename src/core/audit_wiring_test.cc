// Audit devices wired into Core::Handle on the in-memory backend: sys/audit
// enable/list/disable, one request and one response line per request,
// nothing secret in clear, sys/audit-hash, salts kept across seal/unseal,
// and the fail-closed rule.
#include <sys/stat.h>

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

#include "core/core.h"
#include "core/core_test_util.h"
#include "storage/temp_dir_for_test.h"

namespace coffer::core {
namespace {

Request Req(Operation op, std::string path, Json data = Json::object(), std::string token = "") {
  Request r = testing::Req(op, std::move(path), std::move(data), std::move(token));
  r.request_id = "req-" + r.path;
  return r;
}

std::vector<Json> Lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<Json> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(Json::parse(line));
  return out;
}

std::string Slurp(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AuditWiringTest : public ::testing::Test {
 protected:
  AuditWiringTest() : core_(testing::NewInmemCore(0)) {
    root_ = testing::InitAndUnseal(*core_, &key_);
  }

  Result<Response> Do(Request r) { return core_->Handle(r); }

  std::string File(const std::string& name) { return dir_.path() + "/" + name; }

  Status EnableFile(const std::string& path, const std::string& file) {
    Status st = Do(Req(Operation::kUpdate, "sys/audit/" + path,
                  {{"type", "file"}, {"options", {{"file_path", file}}}}, root_))
                    .status();
    return st;
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<Core> core_;
  std::string root_;
  std::string key_;
};

TEST_F(AuditWiringTest, EveryRequestGetsARequestAndAResponseLineWithNothingInClear) {
  ASSERT_TRUE(EnableFile("file", File("audit.log")).ok());
  struct stat st{};
  ASSERT_EQ(::stat(File("audit.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const std::string before = Slurp(File("audit.log"));
  auto put = Do(Req(Operation::kUpdate, "cubbyhole/k", {{"pw", "correct-horse"}}, root_));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto get = Do(Req(Operation::kRead, "cubbyhole/k", {}, root_));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->data["pw"], "correct-horse");

  std::vector<Json> lines = Lines(File("audit.log"));
  ASSERT_GE(lines.size(), 5u);  // enable's response, then 2 + 2
  const Json& req = lines[lines.size() - 2];
  const Json& resp = lines[lines.size() - 1];
  EXPECT_EQ(req["type"], "request");
  EXPECT_EQ(resp["type"], "response");
  EXPECT_EQ(req["request"]["path"], "cubbyhole/k");
  EXPECT_EQ(req["request"]["id"], "req-cubbyhole/k");
  EXPECT_EQ(req["auth"]["policies"], Json::array({"root"}));
  EXPECT_EQ(resp["request"]["mount_type"], "cubbyhole");

  auto hash = Do(Req(Operation::kUpdate, "sys/audit-hash/file", {{"input", "correct-horse"}},
                     root_));
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(resp["response"]["data"]["pw"], hash->data["hash"]);
  auto token_hash =
      Do(Req(Operation::kUpdate, "sys/audit-hash/file", {{"input", root_}}, root_));
  EXPECT_EQ(req["auth"]["client_token"], token_hash->data["hash"]);

  const std::string text = Slurp(File("audit.log"));
  EXPECT_EQ(text.find("correct-horse"), std::string::npos);
  EXPECT_EQ(text.find(root_), std::string::npos);
}

TEST_F(AuditWiringTest, ListDisableAndErrors) {
  ASSERT_TRUE(EnableFile("one", File("one.log")).ok());
  auto list = Do(Req(Operation::kRead, "sys/audit", {}, root_));
  ASSERT_TRUE(list.ok());
  ASSERT_TRUE(list->data.contains("one/"));
  EXPECT_EQ(list->data["one/"]["type"], "file");
  EXPECT_FALSE(list->data["one/"].contains("salt"));

  EXPECT_EQ(EnableFile("one", File("again.log")).code(), Code::kInvalidArgument);
  auto jsonx = Do(Req(Operation::kUpdate, "sys/audit/x",
                      {{"type", "file"},
                       {"options", {{"file_path", File("x.log")}, {"format", "jsonx"}}}},
                      root_));
  EXPECT_EQ(jsonx.status().code(), Code::kInvalidArgument);
  EXPECT_NE(jsonx.status().message().find("jsonx"), std::string::npos);
  EXPECT_EQ(EnableFile("bad", "/nonexistent-dir/a.log").code(), Code::kInvalidArgument);
  auto unknown = Do(Req(Operation::kUpdate, "sys/audit/s", {{"type", "socket"}}, root_));
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);

  ASSERT_TRUE(Do(Req(Operation::kDelete, "sys/audit/one", {}, root_)).ok());
  list = Do(Req(Operation::kRead, "sys/audit", {}, root_));
  EXPECT_FALSE(list->data.contains("one/"));
  // Non-root tokens need sudo.
  auto user = Do(Req(Operation::kUpdate, "auth/token/create", {{"policies", {"default"}}}, root_));
  auto denied = Do(Req(Operation::kRead, "sys/audit", {}, user->auth->client_token));
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
}

TEST_F(AuditWiringTest, SaltSurvivesSealAndUnseal) {
  ASSERT_TRUE(EnableFile("file", File("audit.log")).ok());
  auto before = Do(Req(Operation::kUpdate, "sys/audit-hash/file", {{"input", "x"}}, root_));
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(core_->SealNode().ok());
  ASSERT_TRUE(core_->Unseal(key_).ok());
  auto after = Do(Req(Operation::kUpdate, "sys/audit-hash/file", {{"input", "x"}}, root_));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(before->data["hash"], after->data["hash"]);
  auto list = Do(Req(Operation::kRead, "sys/audit", {}, root_));
  EXPECT_TRUE(list->data.contains("file/"));
}

TEST_F(AuditWiringTest, FailsClosedOnlyWhenEveryDeviceFails) {
  ASSERT_TRUE(EnableFile("a", File("a.log")).ok());
  ASSERT_TRUE(EnableFile("b", File("b.log")).ok());
  core_->audit_broker().DeviceForTest("a")->CloseForTest();
  ASSERT_TRUE(Do(Req(Operation::kUpdate, "cubbyhole/one", {{"v", "1"}}, root_)).ok());

  core_->audit_broker().DeviceForTest("b")->CloseForTest();
  auto refused = Do(Req(Operation::kUpdate, "cubbyhole/two", {{"v", "2"}}, root_));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInternal);
  EXPECT_EQ(refused.status().message(), "internal error");

  // The engine never ran: with the devices gone, the write is not there.
  ASSERT_TRUE(core_->audit_table().Disable("a").ok());
  ASSERT_TRUE(core_->audit_table().Disable("b").ok());
  auto read = Do(Req(Operation::kRead, "cubbyhole/two", {}, root_));
  EXPECT_FALSE(read.ok() && !read->data.is_null());
}

TEST_F(AuditWiringTest, DeniedRequestsAreLoggedWithTheirError) {
  ASSERT_TRUE(EnableFile("file", File("audit.log")).ok());
  auto denied = Do(Req(Operation::kRead, "sys/mounts", {}, "hvs.unknown"));
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  std::vector<Json> lines = Lines(File("audit.log"));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["type"], "request");
  EXPECT_EQ(lines.back()["error"], "permission denied");
  EXPECT_EQ(Slurp(File("audit.log")).find("hvs.unknown"), std::string::npos);
}

TEST_F(AuditWiringTest, WrappedResponsesAreLoggedWrapped) {
  ASSERT_TRUE(EnableFile("file", File("audit.log")).ok());
  Request r = Req(Operation::kUpdate, "sys/wrapping/wrap", {{"gift", "wrapped-gift"}}, root_);
  r.wrap_ttl_seconds = 60;
  auto wrapped = Do(r);
  ASSERT_TRUE(wrapped.ok() && wrapped->wrap_info.has_value());
  std::vector<Json> lines = Lines(File("audit.log"));
  const Json& resp = lines.back();
  ASSERT_TRUE(resp["response"].contains("wrap_info"));
  EXPECT_EQ(resp["response"]["wrap_info"]["creation_path"], "sys/wrapping/wrap");
  const std::string text = Slurp(File("audit.log"));
  EXPECT_EQ(text.find("wrapped-gift"), std::string::npos);
  EXPECT_EQ(text.find(wrapped->wrap_info->token), std::string::npos);
}

}  // namespace
}  // namespace coffer::core
