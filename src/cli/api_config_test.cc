#include "cli/api_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace coffer::cli {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

// Parses `args` with the global flags and resolves against `env`.
Result<ApiConfig> Resolve(const std::vector<std::string>& args,
                          std::map<std::string, std::string> env) {
  GlobalFlags values;
  FlagSet flags;
  values.Register(&flags);
  auto pos = flags.Parse(args);
  if (!pos.ok()) return pos.status();
  return ResolveApiConfig(values, flags, FakeEnv(std::move(env)));
}

class TempHome {
 public:
  TempHome() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "coffer-cli-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempHome() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return dir_; }
  void WriteToken(const std::string& text) { std::ofstream(dir_ + "/.vault-token") << text; }

 private:
  std::string dir_;
};

TEST(ApiConfigTest, Defaults) {
  auto cfg = Resolve({}, {});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->address, "https://127.0.0.1:8200");
  EXPECT_EQ(cfg->token, "");
  EXPECT_EQ(cfg->ca_cert_file, "");
  EXPECT_FALSE(cfg->tls_skip_verify);
  EXPECT_EQ(cfg->timeout_s, 60);
}

TEST(ApiConfigTest, AddressPrecedenceFlagThenCofferThenVault) {
  std::map<std::string, std::string> both = {{"VAULT_ADDR", "http://vault:1"},
                                             {"COFFER_ADDR", "http://coffer:2"}};
  EXPECT_EQ(Resolve({}, {{"VAULT_ADDR", "http://vault:1"}})->address, "http://vault:1");
  EXPECT_EQ(Resolve({}, both)->address, "http://coffer:2");
  EXPECT_EQ(Resolve({"-address=http://flag:3"}, both)->address, "http://flag:3");
  // An empty COFFER_ADDR counts as unset.
  EXPECT_EQ(Resolve({}, {{"VAULT_ADDR", "http://vault:1"}, {"COFFER_ADDR", ""}})->address,
            "http://vault:1");
}

TEST(ApiConfigTest, AddressTrailingSlashIsDroppedAndBadSchemesRejected) {
  EXPECT_EQ(Resolve({"-address=http://h:1/"}, {})->address, "http://h:1");
  EXPECT_FALSE(Resolve({"-address=h:1"}, {}).ok());
  EXPECT_FALSE(Resolve({"-address=ftp://h:1"}, {}).ok());
  EXPECT_FALSE(Resolve({"-address=http://"}, {}).ok());
  EXPECT_FALSE(Resolve({"-address=http://h:1/some/path"}, {}).ok());
}

TEST(ApiConfigTest, TokenFromEnvWinsOverTokenFile) {
  TempHome home;
  home.WriteToken("  file-token\n");
  EXPECT_EQ(Resolve({}, {{"HOME", home.path()}})->token, "file-token");
  EXPECT_EQ(Resolve({}, {{"HOME", home.path()}, {"VAULT_TOKEN", "vt"}})->token, "vt");
  EXPECT_EQ(
      Resolve({}, {{"HOME", home.path()}, {"VAULT_TOKEN", "vt"}, {"COFFER_TOKEN", "ct"}})->token,
      "ct");
}

TEST(ApiConfigTest, MissingOrBlankTokenFileMeansNoToken) {
  TempHome home;
  EXPECT_EQ(Resolve({}, {{"HOME", home.path()}})->token, "");
  home.WriteToken(" \n");
  EXPECT_EQ(Resolve({}, {{"HOME", home.path()}})->token, "");
}

TEST(ApiConfigTest, CaCertPrecedence) {
  std::map<std::string, std::string> env = {{"VAULT_CACERT", "/v.pem"}};
  EXPECT_EQ(Resolve({}, env)->ca_cert_file, "/v.pem");
  env["COFFER_CACERT"] = "/c.pem";
  EXPECT_EQ(Resolve({}, env)->ca_cert_file, "/c.pem");
  EXPECT_EQ(Resolve({"-ca-cert", "/f.pem"}, env)->ca_cert_file, "/f.pem");
}

TEST(ApiConfigTest, ClientCertificateNeedsBothHalves) {
  auto both = Resolve({"-client-cert=/c.pem"}, {{"VAULT_CLIENT_KEY", "/k.pem"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->client_cert_file, "/c.pem");
  EXPECT_EQ(both->client_key_file, "/k.pem");
  EXPECT_EQ(Resolve({}, {{"COFFER_CLIENT_CERT", "/cc.pem"},
                         {"VAULT_CLIENT_CERT", "/vc.pem"},
                         {"VAULT_CLIENT_KEY", "/k.pem"}})
                ->client_cert_file,
            "/cc.pem");
  EXPECT_FALSE(Resolve({"-client-cert=/c.pem"}, {}).ok());
  EXPECT_FALSE(Resolve({}, {{"VAULT_CLIENT_KEY", "/k.pem"}}).ok());
}

TEST(ApiConfigTest, SkipVerifyUsesGoParseBoolAndFlagWins) {
  EXPECT_TRUE(Resolve({}, {{"VAULT_SKIP_VERIFY", "1"}})->tls_skip_verify);
  EXPECT_TRUE(Resolve({}, {{"VAULT_SKIP_VERIFY", "TRUE"}})->tls_skip_verify);
  EXPECT_FALSE(Resolve({}, {{"VAULT_SKIP_VERIFY", "f"}})->tls_skip_verify);
  EXPECT_FALSE(Resolve({}, {{"VAULT_SKIP_VERIFY", "true"}, {"COFFER_SKIP_VERIFY", "false"}})
                   ->tls_skip_verify);
  EXPECT_FALSE(
      Resolve({"-tls-skip-verify=false"}, {{"VAULT_SKIP_VERIFY", "true"}})->tls_skip_verify);
  EXPECT_TRUE(Resolve({"-tls-skip-verify"}, {})->tls_skip_verify);
  auto bad = Resolve({}, {{"VAULT_SKIP_VERIFY", "yes"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(ApiConfigTest, ClientTimeoutAcceptsDurations) {
  EXPECT_EQ(Resolve({}, {{"VAULT_CLIENT_TIMEOUT", "5s"}})->timeout_s, 5);
  EXPECT_EQ(Resolve({}, {{"VAULT_CLIENT_TIMEOUT", "90"}})->timeout_s, 90);
  EXPECT_EQ(
      Resolve({}, {{"COFFER_CLIENT_TIMEOUT", "2m"}, {"VAULT_CLIENT_TIMEOUT", "5s"}})->timeout_s,
      120);
  EXPECT_FALSE(Resolve({}, {{"VAULT_CLIENT_TIMEOUT", "soon"}}).ok());
  EXPECT_FALSE(Resolve({}, {{"VAULT_CLIENT_TIMEOUT", "0"}}).ok());
}

TEST(ApiConfigTest, OutputFormatPrecedenceAndValidation) {
  GlobalFlags values;
  EXPECT_EQ(*ResolveOutputFormat(values, FakeEnv({})), OutputFormat::kTable);
  EXPECT_EQ(*ResolveOutputFormat(values, FakeEnv({{"VAULT_FORMAT", "json"}})), OutputFormat::kJson);
  EXPECT_EQ(
      *ResolveOutputFormat(values, FakeEnv({{"VAULT_FORMAT", "json"}, {"COFFER_FORMAT", "table"}})),
      OutputFormat::kTable);
  values.format = "JSON";
  EXPECT_EQ(*ResolveOutputFormat(values, FakeEnv({{"VAULT_FORMAT", "table"}})),
            OutputFormat::kJson);
  values.format = "yaml";
  auto bad = ResolveOutputFormat(values, FakeEnv({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "Invalid output format: yaml");
}

}  // namespace
}  // namespace coffer::cli
