#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/audit_broker.h"
#include "core/audit_device.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"

namespace coffer::core {
namespace {

constexpr char kSalt[] = "test-salt-0123456789";
constexpr char kToken[] = "hvs.SuperSecretClientToken";
constexpr char kAccessor[] = "AccessorValueXYZ";
constexpr char kPassword[] = "p@ssw0rd-plaintext";
constexpr char kLeaked[] = "response-secret-value";
constexpr char kNewToken[] = "hvs.NewlyMintedToken";
constexpr char kWrapToken[] = "hvs.WrappingTokenValue";

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "coffer-audit-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string PathOf(const std::string& name) const { return dir_ + "/" + name; }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static std::vector<Json> Lines(const std::string& text) {
    std::vector<Json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(Json::parse(line));
    return out;
  }

  static Request SampleRequest() {
    Request req;
    req.operation = Operation::kUpdate;
    req.path = "secret/data/app";
    req.client_token = kToken;
    req.remote_addr = "127.0.0.1:5000";
    req.data = Json{{"data", {{"password", kPassword}, {"list", Json::array({kPassword, 7})}}},
                    {"count", 3}};
    return req;
  }

  static AuditAuth SampleAuth() {
    AuditAuth auth;
    auth.client_token = kToken;
    auth.accessor = kAccessor;
    auth.display_name = "token";
    auth.policies = {"default", "app"};
    auth.token_type = "service";
    auth.metadata = Json{{"team", "ops"}};
    return auth;
  }

  static Response SampleResponse() {
    Response resp = Response::Data(Json{{"value", kLeaked}, {"n", 1}});
    resp.mount_type = "kv";
    AuthInfo a;
    a.client_token = kNewToken;
    a.accessor = kAccessor;
    resp.auth = a;
    resp.secret = SecretInfo{"secret/creds/abc", true, 60};
    WrapInfo w;
    w.token = kWrapToken;
    w.accessor = kAccessor;
    w.ttl = 300;
    w.creation_path = "secret/data/app";
    resp.wrap_info = w;
    return resp;
  }

  std::unique_ptr<FileAuditDevice> OpenDevice(const std::string& name, bool log_raw = false) {
    FileAuditOptions opts;
    opts.file_path = PathOf(name);
    opts.log_raw = log_raw;
    auto dev = FileAuditDevice::Open(opts, kSalt);
    EXPECT_TRUE(dev.ok()) << dev.status().ToString();
    return dev.ok() ? std::move(dev).value() : nullptr;
  }

  std::string dir_;
};

TEST_F(AuditTest, ParseOptions) {
  auto o = ParseFileAuditOptions(
      Json{{"path", "/tmp/x.log"}, {"log_raw", "true"}, {"hmac_accessor", false},
           {"mode", "0640"}, {"prefix", "AUDIT:"}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->file_path, "/tmp/x.log");
  EXPECT_TRUE(o->log_raw);
  EXPECT_FALSE(o->hmac_accessor);
  EXPECT_EQ(o->mode, 0640);
  EXPECT_EQ(o->prefix, "AUDIT:");

  auto d = ParseFileAuditOptions(Json{{"file_path", "stdout"}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->file_path, "stdout");
  EXPECT_EQ(d->mode, 0600);
  EXPECT_TRUE(d->hmac_accessor);
  EXPECT_EQ(d->format, "json");

  EXPECT_EQ(ParseFileAuditOptions(Json::object()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFileAuditOptions(Json{{"file_path", "x"}, {"format", "jsonx"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ParseFileAuditOptions(Json{{"file_path", "x"}, {"mode", "0900"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ParseFileAuditOptions(Json::array()).status().code(), Code::kInvalidArgument);
}

TEST_F(AuditTest, EmptySaltRejected) {
  FileAuditOptions opts;
  opts.file_path = "discard";
  EXPECT_EQ(FileAuditDevice::Open(opts, "").status().code(), Code::kInvalidArgument);
}

TEST_F(AuditTest, HashMatchesIndependentHmac) {
  auto dev = OpenDevice("h.log");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->Hash("hello"),
            "hmac-sha256:" + crypto::HexEncode(crypto::HmacSha256(kSalt, "hello")));
  // Known-answer check that does not go through our own HMAC code path:
  // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog").
  FileAuditOptions opts;
  opts.file_path = "discard";
  auto kat = FileAuditDevice::Open(opts, "key");
  ASSERT_TRUE(kat.ok());
  EXPECT_EQ((*kat)->Hash("The quick brown fox jumps over the lazy dog"),
            "hmac-sha256:f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST_F(AuditTest, FileCreatedWithMode0600) {
  auto dev = OpenDevice("mode.log");
  ASSERT_NE(dev, nullptr);
  struct stat st{};
  ASSERT_EQ(::stat(PathOf("mode.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditTest, EntriesAreHashedJsonLines) {
  auto dev = OpenDevice("a.log");
  ASSERT_NE(dev, nullptr);
  const Request req = SampleRequest();
  ASSERT_TRUE(dev->LogRequest(req, SampleAuth(), "req-1").ok());
  ASSERT_TRUE(dev->LogResponse(req, SampleResponse(), SampleAuth(), "req-1").ok());

  const std::string bytes = ReadAll(PathOf("a.log"));
  for (const char* secret : {kToken, kAccessor, kPassword, kLeaked, kNewToken, kWrapToken}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << "plaintext found: " << secret;
  }
  auto lines = Lines(bytes);
  ASSERT_EQ(lines.size(), 2u);
  const Json& r = lines[0];
  EXPECT_EQ(r["type"], "request");
  EXPECT_TRUE(r["time"].is_string());
  EXPECT_EQ(r["auth"]["client_token"], dev->Hash(kToken));
  EXPECT_EQ(r["auth"]["accessor"], dev->Hash(kAccessor));
  EXPECT_EQ(r["auth"]["policies"], Json::array({"default", "app"}));
  EXPECT_EQ(r["auth"]["metadata"]["team"], "ops");
  EXPECT_EQ(r["request"]["id"], "req-1");
  EXPECT_EQ(r["request"]["operation"], "update");
  EXPECT_EQ(r["request"]["path"], "secret/data/app");
  EXPECT_EQ(r["request"]["client_token"], dev->Hash(kToken));
  EXPECT_EQ(r["request"]["data"]["data"]["password"], dev->Hash(kPassword));
  EXPECT_EQ(r["request"]["data"]["data"]["list"][0], dev->Hash(kPassword));
  EXPECT_EQ(r["request"]["data"]["data"]["list"][1], 7);
  EXPECT_EQ(r["request"]["data"]["count"], 3);
  EXPECT_EQ(r["request"]["remote_address"], "127.0.0.1:5000");

  const Json& s = lines[1];
  EXPECT_EQ(s["type"], "response");
  EXPECT_EQ(s["request"]["mount_type"], "kv");
  EXPECT_EQ(s["response"]["data"]["value"], dev->Hash(kLeaked));
  EXPECT_EQ(s["response"]["data"]["n"], 1);
  EXPECT_EQ(s["response"]["auth"]["client_token"], dev->Hash(kNewToken));
  EXPECT_EQ(s["response"]["auth"]["accessor"], dev->Hash(kAccessor));
  EXPECT_EQ(s["response"]["secret"]["lease_id"], "secret/creds/abc");
  EXPECT_EQ(s["response"]["wrap_info"]["token"], dev->Hash(kWrapToken));
  EXPECT_EQ(s["response"]["wrap_info"]["ttl"], 300);
  EXPECT_EQ(s["response"]["wrap_info"]["creation_path"], "secret/data/app");
}

TEST_F(AuditTest, RawResponseBodyIsHashed) {
  auto dev = OpenDevice("raw.log");
  ASSERT_NE(dev, nullptr);
  Response resp = Response::RawJson(Json{{"root_token", kNewToken}, {"keys", {kLeaked}}});
  ASSERT_TRUE(dev->LogResponse(SampleRequest(), resp, AuditAuth{}).ok());
  const std::string bytes = ReadAll(PathOf("raw.log"));
  EXPECT_EQ(bytes.find(kNewToken), std::string::npos);
  EXPECT_EQ(bytes.find(kLeaked), std::string::npos);
  EXPECT_EQ(Lines(bytes)[0]["response"]["data"]["root_token"], dev->Hash(kNewToken));
}

TEST_F(AuditTest, LogRawAndHmacAccessorFalse) {
  FileAuditOptions opts;
  opts.file_path = PathOf("raw2.log");
  opts.log_raw = true;
  auto raw = FileAuditDevice::Open(opts, kSalt);
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->LogRequest(SampleRequest(), SampleAuth()).ok());
  const std::string raw_bytes = ReadAll(opts.file_path);
  EXPECT_NE(raw_bytes.find(kToken), std::string::npos);
  EXPECT_NE(raw_bytes.find(kPassword), std::string::npos);

  FileAuditOptions opts2;
  opts2.file_path = PathOf("acc.log");
  opts2.hmac_accessor = false;
  opts2.prefix = "P:";
  auto acc = FileAuditDevice::Open(opts2, kSalt);
  ASSERT_TRUE(acc.ok());
  ASSERT_TRUE((*acc)->LogRequest(SampleRequest(), SampleAuth()).ok());
  const std::string bytes = ReadAll(opts2.file_path);
  ASSERT_EQ(bytes.rfind("P:", 0), 0u);
  EXPECT_NE(bytes.find(kAccessor), std::string::npos);
  EXPECT_EQ(bytes.find(kToken), std::string::npos);
  EXPECT_EQ(Json::parse(bytes.substr(2))["auth"]["accessor"], kAccessor);
}

TEST_F(AuditTest, AppendsAcrossReopen) {
  {
    auto dev = OpenDevice("ap.log");
    ASSERT_TRUE(dev->LogRequest(SampleRequest(), SampleAuth()).ok());
  }
  auto dev = OpenDevice("ap.log");
  ASSERT_TRUE(dev->LogRequest(SampleRequest(), SampleAuth()).ok());
  EXPECT_EQ(Lines(ReadAll(PathOf("ap.log"))).size(), 2u);
}

TEST_F(AuditTest, OpenFailsOnDirectory) {
  FileAuditOptions opts;
  opts.file_path = dir_;
  EXPECT_FALSE(FileAuditDevice::Open(opts, kSalt).ok());
}

TEST_F(AuditTest, BrokerEnableListDisableHash) {
  AuditBroker broker;
  EXPECT_TRUE(broker.LogRequest(SampleRequest(), SampleAuth()).ok());  // none enabled
  ASSERT_TRUE(broker.Enable("file", "file", "d", Json{{"file_path", PathOf("b.log")}}, false,
                            kSalt).ok());
  EXPECT_EQ(broker.Enable("file/", "file", "", Json{{"file_path", PathOf("c.log")}}, false,
                          kSalt).code(), Code::kInvalidArgument);
  EXPECT_EQ(broker.Enable("sock", "socket", "", Json::object(), false, kSalt).code(),
            Code::kInvalidArgument);
  Json list = broker.List();
  ASSERT_TRUE(list.contains("file/"));
  EXPECT_EQ(list["file/"]["type"], "file");
  EXPECT_EQ(list["file/"]["description"], "d");
  EXPECT_EQ(list["file/"]["options"]["file_path"], PathOf("b.log"));
  auto h = broker.Hash("file", "x");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, "hmac-sha256:" + crypto::HexEncode(crypto::HmacSha256(kSalt, "x")));
  EXPECT_EQ(broker.Hash("nope", "x").status().code(), Code::kNotFound);
  EXPECT_TRUE(broker.Disable("file/").ok());
  EXPECT_TRUE(broker.Disable("file/").ok());
  EXPECT_TRUE(broker.empty());
}

TEST_F(AuditTest, BrokerFailsOnlyWhenEveryDeviceFails) {
  AuditBroker broker;
  ASSERT_TRUE(broker.Enable("one", "file", "", Json{{"file_path", PathOf("1.log")}}, false,
                            kSalt).ok());
  ASSERT_TRUE(broker.Enable("two", "file", "", Json{{"file_path", PathOf("2.log")}}, false,
                            kSalt).ok());
  broker.DeviceForTest("one")->CloseForTest();
  EXPECT_TRUE(broker.LogRequest(SampleRequest(), SampleAuth()).ok());
  EXPECT_EQ(Lines(ReadAll(PathOf("2.log"))).size(), 1u);
  EXPECT_EQ(ReadAll(PathOf("1.log")), "");

  broker.DeviceForTest("two")->CloseForTest();
  EXPECT_FALSE(broker.LogRequest(SampleRequest(), SampleAuth()).ok());
  EXPECT_FALSE(broker.LogResponse(SampleRequest(), SampleResponse(), SampleAuth()).ok());
}

}  // namespace
}  // namespace coffer::core
