#include "cli/topology_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/topology_view.h"

namespace coffer::cli {
namespace {

class TopologyStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/coffer-topology-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  TopologyState Sample() {
    TopologyState s;
    s.topology = "two-dc";
    s.dir = dir_;
    s.binary = "/bin/coffer";
    ClusterState p;
    p.name = "dc-a-primary";
    p.site = "dc-a";
    p.role = ClusterRole::kPrimary;
    p.api_port = 18200;
    p.cluster_port = 18201;
    p.dir = dir_ + "/dc-a-primary";
    p.pid = 1234;
    p.condition = "running";
    p.keys = {"a2V5"};
    p.root_token = "hvs.rootrootroot";
    p.dr_operation_token = "hvb.batchbatch";
    ClusterState d = p;
    d.name = "dc-a-dr";
    d.role = ClusterRole::kDr;
    d.of = "dc-a-primary";
    d.api_port = 18202;
    d.cluster_port = 18203;
    d.dr_operation_token.clear();
    s.clusters = {p, d};
    return s;
  }

  std::string dir_;
};

int Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(TopologyStateTest, RoundTripsWithSecretsOnlyInThePrivateSecretsFile) {
  ASSERT_TRUE(SaveState(Sample()).ok());
  EXPECT_EQ(Mode(StatePath(dir_)), 0600);
  EXPECT_EQ(Mode(SecretsPath(dir_)), 0600);
  std::string state_text = Slurp(StatePath(dir_));
  EXPECT_EQ(state_text.find("hvs.rootrootroot"), std::string::npos);
  EXPECT_EQ(state_text.find("a2V5"), std::string::npos);
  EXPECT_NE(Slurp(SecretsPath(dir_)).find("hvs.rootrootroot"), std::string::npos);

  auto loaded = LoadState(dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->clusters.size(), 2u);
  const ClusterState& d = loaded->clusters[1];
  EXPECT_EQ(d.role, ClusterRole::kDr);
  EXPECT_EQ(d.of, "dc-a-primary");
  EXPECT_EQ(d.api_addr(), "http://127.0.0.1:18202");
  EXPECT_EQ(d.cluster_addr(), "https://127.0.0.1:18203");
  EXPECT_EQ(loaded->clusters[0].dr_operation_token, "hvb.batchbatch");
  EXPECT_EQ(loaded->clusters[0].keys, std::vector<std::string>{"a2V5"});
  EXPECT_EQ(loaded->ActiveOf("dc-a")->name, "dc-a-primary");
  EXPECT_EQ(loaded->DrReplicaOf("dc-a-primary")->name, "dc-a-dr");
  EXPECT_EQ(loaded->ActiveOf("nowhere"), nullptr);
}

TEST_F(TopologyStateTest, MissingAndMalformedStateAreErrors) {
  auto missing = LoadState(dir_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("no topology state"), std::string::npos);

  ASSERT_TRUE(SaveState(Sample()).ok());
  std::ofstream(StatePath(dir_)) << R"({"topology": "x", "binary": "b", "clusters": [{"name": 3}]})";
  auto bad = LoadState(dir_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  std::ofstream(StatePath(dir_)) << "not json";
  EXPECT_EQ(LoadState(dir_).status().code(), Code::kInvalidArgument);
}

TEST_F(TopologyStateTest, ViewsShowTokensOnlyWhereAsked) {
  TopologyState s = Sample();
  std::string table = ClusterTable(s);
  EXPECT_NE(table.find("hvs.rootrootroot"), std::string::npos);
  EXPECT_NE(table.find("dr of dc-a-primary"), std::string::npos);
  std::string exports = SiteExports(s);
  EXPECT_EQ(exports,
            "export VAULT_ADDR=http://127.0.0.1:18200 VAULT_TOKEN=hvs.rootrootroot   "
            "# site dc-a: dc-a-primary (primary)\n");
  std::vector<ClusterHealth> health(2);
  health[0].process_running = true;
  health[0].health = 200;
  health[1].process_running = true;
  health[1].health = 472;
  health[1].dr = Json{{"mode", "secondary"}, {"state", "stream-wals"}, {"apply_lag_ms", 3}};
  health[1].lag_entries = 2;
  std::string status = StatusTable(s, health);
  EXPECT_EQ(status.find("hvs."), std::string::npos);
  EXPECT_NE(status.find("dr-secondary"), std::string::npos);
  EXPECT_NE(status.find("secondary (stream-wals)"), std::string::npos);
  EXPECT_NE(status.find("2 entries, 3 ms"), std::string::npos);
}

}  // namespace
}  // namespace coffer::cli
