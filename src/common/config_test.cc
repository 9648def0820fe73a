#include "common/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/hcl.h"

namespace coffer::config {
namespace {

constexpr char kSingleNodeHcl[] = R"(
storage "file" {
  path = "/var/lib/coffer/data"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = "true"
}

api_addr      = "http://10.0.0.5:8200"
cluster_addr  = "https://10.0.0.5:8201"
ui            = true
disable_mlock = true

telemetry {
  prometheus_retention_time = "30s"
  disable_hostname          = true
}
seal "shamir" {}
ha_storage "consul" { address = "127.0.0.1:8500" }
some_future_key = "ignored"
)";

constexpr char kSingleNodeJson[] = R"({
  "storage": {"file": {"path": "/var/lib/coffer/data"}},
  "listener": [{"tcp": {"address": "0.0.0.0:8200", "tls_disable": 1}}],
  "api_addr": "http://10.0.0.5:8200",
  "cluster_addr": "https://10.0.0.5:8201",
  "ui": true,
  "disable_mlock": "1"
})";

Result<ServerConfig> FromHcl(std::string_view text, ValidateOptions options = {}) {
  auto root = hcl::Parse(text, "coffer.hcl");
  if (!root.ok()) return root.status();
  return ParseServerConfig(*root, "coffer.hcl", options);
}

std::string ErrorOf(std::string_view text, ValidateOptions options = {}) {
  auto c = FromHcl(text, options);
  EXPECT_FALSE(c.ok()) << text;
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  }
  return c.status().message();
}

void ExpectSingleNode(const ServerConfig& c) {
  EXPECT_EQ(c.storage.type, "file");
  EXPECT_EQ(c.storage.options, (Json{{"path", "/var/lib/coffer/data"}}));
  ASSERT_EQ(c.listeners.size(), 1u);
  const ListenerConfig& l = c.listeners[0];
  EXPECT_EQ(l.type, "tcp");
  EXPECT_EQ(l.address, "0.0.0.0:8200");
  EXPECT_EQ(l.cluster_address, "0.0.0.0:8201");
  EXPECT_TRUE(l.tls_disable);
  EXPECT_EQ(l.tls_min_version, "tls12");
  EXPECT_EQ(l.max_request_size, 33554432);
  EXPECT_EQ(l.max_request_duration_s, 90);
  EXPECT_EQ(c.api_addr, "http://10.0.0.5:8200");
  EXPECT_EQ(c.cluster_addr, "https://10.0.0.5:8201");
  EXPECT_TRUE(c.ui);
  EXPECT_TRUE(c.disable_mlock);
  EXPECT_FALSE(c.raw_storage_endpoint);
  EXPECT_EQ(c.default_lease_ttl_s, 2764800);
  EXPECT_EQ(c.max_lease_ttl_s, 2764800);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.replication.logshipper_buffer_length, 0);
}

TEST(ConfigTest, VaultSingleNodeHcl) {
  auto c = FromHcl(kSingleNodeHcl);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectSingleNode(*c);
}

TEST(ConfigTest, VaultSingleNodeJson) {
  auto c = ParseServerConfig(Json::parse(kSingleNodeJson), "coffer.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectSingleNode(*c);
}

TEST(ConfigTest, AllListenerFieldsAndVaultTypes) {
  auto c = FromHcl(R"(
    backend "inmem" {}
    listener "tcp" {
      address = "[::1]:9200"
      cluster_address = "[::1]:9300"
      tls_cert_file = "/etc/c.pem"
      tls_key_file = "/etc/k.pem"
      tls_client_ca_file = "/etc/ca.pem"
      tls_min_version = "tls13"
      tls_require_and_verify_client_cert = "true"
      max_request_size = 1048576
      max_request_duration = "2m"
      http_read_header_timeout = 5
      http_read_timeout = "1m"
      http_idle_timeout = "10m"
    }
    listener "tcp" {
      address = "127.0.0.1:0"
      tls_disable = 1
      max_request_size = -1
      max_request_duration = 0
    }
    default_lease_ttl = "1h"
    max_lease_ttl = 86400
    log_level = "DEBUG"
    cluster_name = "dc1"
    raw_storage_endpoint = "t"
    replication {
      logshipper_buffer_length = "1000"
      logshipper_buffer_size = "5gb"
      best_effort_wal_wait_duration = "750ms"
      replication_canary_write_interval_seconds = 0
    }
  )");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage.type, "inmem");
  ASSERT_EQ(c->listeners.size(), 2u);
  const ListenerConfig& a = c->listeners[0];
  EXPECT_EQ(a.address, "[::1]:9200");
  EXPECT_EQ(a.cluster_address, "[::1]:9300");
  EXPECT_FALSE(a.tls_disable);
  EXPECT_EQ(a.tls_cert_file, "/etc/c.pem");
  EXPECT_EQ(a.tls_key_file, "/etc/k.pem");
  EXPECT_EQ(a.tls_client_ca_file, "/etc/ca.pem");
  EXPECT_EQ(a.tls_min_version, "tls13");
  EXPECT_TRUE(a.tls_require_and_verify_client_cert);
  EXPECT_EQ(a.max_request_size, 1048576);
  EXPECT_EQ(a.max_request_duration_s, 120);
  EXPECT_EQ(a.http_read_header_timeout_s, 5);
  EXPECT_EQ(a.http_read_timeout_s, 60);
  EXPECT_EQ(a.http_idle_timeout_s, 600);
  const ListenerConfig& b = c->listeners[1];
  EXPECT_EQ(b.cluster_address, "127.0.0.1:0");  // ephemeral stays ephemeral
  EXPECT_EQ(b.max_request_size, -1);            // negative: no limit
  EXPECT_EQ(b.max_request_duration_s, 90);      // 0: default
  EXPECT_EQ(b.http_read_timeout_s, 30);
  EXPECT_EQ(c->default_lease_ttl_s, 3600);
  EXPECT_EQ(c->max_lease_ttl_s, 86400);
  EXPECT_EQ(c->log_level, "DEBUG");
  EXPECT_EQ(c->cluster_name, "dc1");
  EXPECT_TRUE(c->raw_storage_endpoint);
  EXPECT_EQ(c->replication.logshipper_buffer_length, 1000);
  EXPECT_EQ(c->replication.logshipper_buffer_size, 5000000000);
  EXPECT_EQ(c->replication.best_effort_wal_wait_ms, 750);
  EXPECT_EQ(c->replication.canary_write_interval_s, 0);
}

TEST(ConfigTest, ReplicationWaitDefaultsAndBadValues) {
  auto c = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n"
                   "replication { best_effort_wal_wait_duration = \"3s\" }\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->replication.best_effort_wal_wait_ms, 3000);
  EXPECT_EQ(c->replication.canary_write_interval_s, 1);
  auto bad = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n"
                     "replication { best_effort_wal_wait_duration = \"soon\" }\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("best_effort_wal_wait_duration"), std::string::npos);
  EXPECT_EQ(c->replication.bootstrap_timeout_ms, 120000);
  auto timeout = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n"
                         "replication { bootstrap_timeout = \"2s\" }\n");
  ASSERT_TRUE(timeout.ok()) << timeout.status().ToString();
  EXPECT_EQ(timeout->replication.bootstrap_timeout_ms, 2000);
  auto zero = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n"
                      "replication { bootstrap_timeout = \"0s\" }\n");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("bootstrap_timeout"), std::string::npos);
}

TEST(ConfigTest, ReadCacheSettings) {
  auto defaults = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_FALSE(defaults->disable_cache);
  EXPECT_EQ(defaults->cache_size, 0);
  auto set = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n"
                     "disable_cache = true\ncache_size = \"1000\"\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->disable_cache);
  EXPECT_EQ(set->cache_size, 1000);
  auto bad = FromHcl("storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = true }\n"
                     "cache_size = -1\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cache_size must not be negative"), std::string::npos);
}

TEST(ConfigTest, JsonShapesOfTypedBlocks) {
  // {"tcp": [ {...}, {...} ]} is another way JSON configs list listeners.
  auto c = ParseServerConfig(Json::parse(R"({
    "storage": [{"raft": {"path": "/r", "node_id": "n1"}}],
    "listener": {"tcp": [{"address": "127.0.0.1:1", "tls_disable": true},
                         {"address": "127.0.0.1:2", "tls_disable": "true"}]},
    "replication": {"logshipper_buffer_size": 1024}
  })"),
                             "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage.type, "raft");
  EXPECT_EQ(c->storage.options["node_id"], "n1");
  ASSERT_EQ(c->listeners.size(), 2u);
  EXPECT_EQ(c->listeners[1].address, "127.0.0.1:2");
  EXPECT_EQ(c->replication.logshipper_buffer_size, 1024);
}

TEST(ConfigTest, DevModeMaySkipListener) {
  constexpr char kNoListener[] = "storage \"inmem\" {}\n";
  EXPECT_EQ(ErrorOf(kNoListener), "coffer.hcl: no listener configured");
  auto c = FromHcl(kNoListener, ValidateOptions{.require_listener = false});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->listeners.empty());
}

TEST(ConfigTest, ValidationErrors) {
  const std::string kListener = "listener \"tcp\" {\n tls_disable = true\n}\n";
  const std::string kStorage = "storage \"file\" { path = \"/d\" }\n";
  struct Case {
    std::string text;
    std::string want;
  };
  const Case kCases[] = {
      {kListener, "coffer.hcl: no storage backend configured"},
      {kListener + kStorage + "storage \"raft\" {}",
       "coffer.hcl: multiple storage backends (file, raft)"},
      {kListener + kStorage + "backend \"inmem\" {}", "coffer.hcl: multiple storage backends"},
      {kListener + "storage \"file\" {}\nstorage \"file\" {}", "multiple storage backends"},
      {kListener + "storage { path = \"/d\" }",
       "coffer.hcl: storage must be labelled with its type"},
      {kListener + "storage = \"file\"", "coffer.hcl: storage must be a block"},
      {kStorage + "listener \"unix\" { address = \"/run/c.sock\" }",
       "coffer.hcl: listener \"unix\": listener type \"unix\" is not supported"},
      {kStorage + "listener \"tcp\" { tls_disable = true\n tls_min_version = \"tls14\" }",
       "coffer.hcl: listener \"tcp\": invalid tls_min_version \"tls14\""},
      {kStorage + "listener \"tcp\" { tls_cert_file = \"/c.pem\" }",
       "coffer.hcl: listener \"tcp\": tls_cert_file and tls_key_file are required"},
      {kStorage + "listener \"tcp\" { tls_key_file = \"/k.pem\" }",
       "tls_cert_file and tls_key_file are required"},
      {kStorage + "listener \"tcp\" {}", "tls_cert_file and tls_key_file are required"},
      {kStorage + "listener \"tcp\" { tls_disable = \"maybe\" }",
       "coffer.hcl: listener \"tcp\": error converting input maybe for field \"tls_disable\""},
      {kStorage + "listener \"tcp\" { tls_disable = true\n address = \"localhost\" }",
       "coffer.hcl: listener \"tcp\": invalid address \"localhost\" (want host:port)"},
      {kStorage + "listener \"tcp\" { tls_disable = true\n address = \"h:99999\" }",
       "invalid address \"h:99999\""},
      {kStorage + "listener \"tcp\" { tls_disable = true\n max_request_size = \"big\" }",
       "error converting input big for field \"max_request_size\""},
      {kStorage + "listener \"tcp\" { tls_disable = true\n http_read_timeout = \"-5s\" }",
       "for field \"http_read_timeout\""},
      {kStorage + kListener + "default_lease_ttl = \"2h\"\nmax_lease_ttl = \"1h\"",
       "coffer.hcl: default_lease_ttl (7200s) is greater than max_lease_ttl (3600s)"},
      {kStorage + kListener + "default_lease_ttl = \"800h\"",  // max stays 768h
       "default_lease_ttl (2880000s) is greater than max_lease_ttl (2764800s)"},
      {kStorage + kListener + "max_lease_ttl = \"forever\"",
       "coffer.hcl: error converting input forever for field \"max_lease_ttl\""},
      {kStorage + kListener + "log_level = \"loud\"", "coffer.hcl: invalid log_level \"loud\""},
      {kStorage + kListener + "ui = [1]",
       "coffer.hcl: error converting input [1] for field \"ui\""},
      {kStorage + kListener + "seal \"awskms\" { region = \"us-east-1\" }",
       "coffer.hcl: seal type awskms is not supported"},
      {kStorage + kListener + "replication { logshipper_buffer_size = \"5 parsecs\" }",
       "coffer.hcl: replication: error converting input \"5 parsecs\" for field "
       "\"logshipper_buffer_size\": unknown size unit \"parsecs\""},
      {kStorage + kListener + "replication { logshipper_buffer_length = -1 }",
       "logshipper_buffer_length must not be negative"},
  };
  for (const Case& c : kCases) {
    std::string msg = ErrorOf(c.text);
    EXPECT_NE(msg.find(c.want), std::string::npos)
        << "config:\n"
        << c.text << "\n  got:  " << msg << "\n  want: " << c.want;
  }
  auto not_object = ParseServerConfig(Json::array(), "x.json");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.status().message(), "x.json: the configuration must be an object");
}

TEST(ConfigTest, ValidateServerConfigChecksProgrammaticConfigs) {
  ServerConfig c;
  c.storage.type = "inmem";
  c.listeners.push_back(ListenerConfig{});
  c.listeners[0].tls_disable = true;
  EXPECT_TRUE(ValidateServerConfig(c, "dev").ok());
  c.listeners[0].type = "udp";
  EXPECT_FALSE(ValidateServerConfig(c, "dev").ok());
  c.listeners[0].type = "tcp";
  c.max_lease_ttl_s = 10;
  c.default_lease_ttl_s = 11;
  EXPECT_FALSE(ValidateServerConfig(c, "dev").ok());
  c.default_lease_ttl_s = 10;
  c.log_level = "nope";
  EXPECT_FALSE(ValidateServerConfig(c, "dev").ok());
}

TEST(ConfigTest, DefaultClusterAddress) {
  EXPECT_EQ(DefaultClusterAddress("127.0.0.1:8200"), "127.0.0.1:8201");
  EXPECT_EQ(DefaultClusterAddress("0.0.0.0:8200"), "0.0.0.0:8201");
  EXPECT_EQ(DefaultClusterAddress("[::]:8200"), "[::]:8201");
  EXPECT_EQ(DefaultClusterAddress("vault.example.com:443"), "vault.example.com:444");
  EXPECT_EQ(DefaultClusterAddress(":8200"), ":8201");
  EXPECT_EQ(DefaultClusterAddress("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(DefaultClusterAddress("127.0.0.1:65535"), "");
  EXPECT_EQ(DefaultClusterAddress("127.0.0.1"), "");
  EXPECT_EQ(DefaultClusterAddress("::1:8200"), "");
  EXPECT_EQ(DefaultClusterAddress("h:port"), "");
  EXPECT_EQ(DefaultClusterAddress("h:-1"), "");
  EXPECT_EQ(DefaultClusterAddress(""), "");
}

class LoadConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/coffer_config_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (auto it = paths_.rbegin(); it != paths_.rend(); ++it) std::remove(it->c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    paths_.push_back(path);
    return path;
  }
  std::string Mkdir(const std::string& name) {
    std::string path = dir_ + "/" + name;
    mkdir(path.c_str(), 0700);
    paths_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> paths_;
};

TEST_F(LoadConfigTest, LaterFilesOverrideScalarsAndAppendListeners) {
  std::string a = Write("a.hcl", R"(
    storage "file" { path = "/a" }
    listener "tcp" { address = "127.0.0.1:8200", tls_disable = true }
    api_addr = "http://a:8200"
    ui = true
    log_level = "warn"
  )");
  std::string b = Write("b.json", R"({
    "storage": {"raft": {"path": "/b"}},
    "listener": {"tcp": {"address": "127.0.0.1:9200", "tls_disable": "true"}},
    "api_addr": "http://b:8200",
    "default_lease_ttl": "1h"
  })");
  auto c = LoadServerConfig({a, b});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage.type, "raft");
  EXPECT_EQ(c->storage.options, (Json{{"path", "/b"}}));
  ASSERT_EQ(c->listeners.size(), 2u);
  EXPECT_EQ(c->listeners[0].address, "127.0.0.1:8200");
  EXPECT_EQ(c->listeners[1].address, "127.0.0.1:9200");
  EXPECT_EQ(c->api_addr, "http://b:8200");
  EXPECT_TRUE(c->ui);               // only in a: kept
  EXPECT_EQ(c->log_level, "warn");  // only in a: kept
  EXPECT_EQ(c->default_lease_ttl_s, 3600);
}

TEST_F(LoadConfigTest, PiecesInSeparateFilesAreValidatedTogether) {
  std::string storage = Write("storage.hcl", "storage \"inmem\" {}\n");
  std::string listener = Write("listener.hcl", "listener \"tcp\" { tls_disable = 1 }\n");
  EXPECT_TRUE(LoadServerConfig({storage, listener}).ok());
  auto only_listener = LoadServerConfig({listener});
  ASSERT_FALSE(only_listener.ok());
  EXPECT_EQ(only_listener.status().message(), listener + ": no storage backend configured");
}

TEST_F(LoadConfigTest, DirectoryReadsHclAndJsonInNameOrder) {
  std::string d = Mkdir("conf.d");
  Write("conf.d/10-storage.hcl", "storage \"file\" { path = \"/x\" }\napi_addr = \"first\"\n");
  Write("conf.d/20-listener.json",
        R"({"listener": {"tcp": {"tls_disable": true}}, "api_addr": "second"})");
  Write("conf.d/notes.txt", "this is not config");
  auto c = LoadServerConfig({d});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage.type, "file");
  EXPECT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->api_addr, "second");
}

TEST_F(LoadConfigTest, FileErrorsNameTheFile) {
  std::string bad = Write("bad.hcl", "storage \"file\" {\n  path = \n}\n");
  auto c = LoadServerConfig({bad});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind(bad + ":3:1: ", 0), 0u) << c.status().message();
  std::string typed = Write("typed.hcl", "ui = \"sometimes\"\n");
  c = LoadServerConfig({typed});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind(typed + ": error converting input sometimes", 0), 0u)
      << c.status().message();
  c = LoadServerConfig({dir_ + "/missing.hcl"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kIOError);
  EXPECT_FALSE(LoadServerConfig({}).ok());
  EXPECT_FALSE(LoadServerConfig({Mkdir("empty.d")}).ok());
}

}  // namespace
}  // namespace coffer::config
