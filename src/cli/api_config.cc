#include "cli/api_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/duration.h"
#include "common/json_util.h"

namespace coffer::cli {
namespace {

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// The token helper file the vault CLI writes on login.
std::optional<std::string> ReadTokenFile(const EnvLookup& env) {
  std::optional<std::string> home = env("HOME");
  if (!home) return std::nullopt;
  std::ifstream in(*home + "/.vault-token", std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = Trim(text.str());
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

std::optional<std::string> LookupEnv(const EnvLookup& env, std::string_view name) {
  if (auto v = env("COFFER_" + std::string(name))) return v;
  return env("VAULT_" + std::string(name));
}

void GlobalFlags::Register(FlagSet* flags) {
  flags->SetGroup("HTTP Options");
  flags->String("address", &address,
                "Address of the server (env COFFER_ADDR, VAULT_ADDR; default " +
                    std::string(kDefaultAddress) + ").");
  flags->String("ca-cert", &ca_cert,
                "PEM file of CA certificates used to verify the server (env VAULT_CACERT).");
  flags->String("client-cert", &client_cert,
                "PEM client certificate for mutual TLS (env VAULT_CLIENT_CERT).");
  flags->String("client-key", &client_key,
                "PEM private key of -client-cert (env VAULT_CLIENT_KEY).");
  flags->Bool("tls-skip-verify", &tls_skip_verify,
              "Do not verify the server's TLS certificate. Insecure (env VAULT_SKIP_VERIFY).");
  flags->String("tls-server-name", &tls_server_name,
                "Name to use as SNI and to verify the server certificate against.");
  flags->String("wrap-ttl", &wrap_ttl,
                "Wrap the response in a single-use token with this TTL (\"5m\"); the "
                "wrapped response is read back with \"coffer unwrap\" (env VAULT_WRAP_TTL).");
  flags->SetGroup("Output Options");
  flags->String("format", &format, "Output format: \"table\" or \"json\" (env VAULT_FORMAT).");
}

Result<ApiConfig> ResolveApiConfig(const GlobalFlags& values, const FlagSet& parsed,
                                   const EnvLookup& env) {
  ApiConfig cfg;
  if (parsed.IsSet("address")) {
    cfg.address = values.address;
  } else {
    cfg.address = LookupEnv(env, "ADDR").value_or(std::string(kDefaultAddress));
  }
  while (!cfg.address.empty() && cfg.address.back() == '/') cfg.address.pop_back();
  if (cfg.address.rfind("http://", 0) != 0 && cfg.address.rfind("https://", 0) != 0) {
    return InvalidArgument("invalid address \"" + cfg.address +
                           "\": must start with http:// or https://");
  }
  if (cfg.address.find('/', cfg.address.find("//") + 2) != std::string::npos ||
      cfg.address.size() == cfg.address.find("//") + 2) {
    return InvalidArgument("invalid address \"" + cfg.address + "\": expected scheme://host:port");
  }

  if (auto t = LookupEnv(env, "TOKEN")) {
    cfg.token = *t;
  } else if (auto t = ReadTokenFile(env)) {
    cfg.token = *t;
  }

  cfg.ca_cert_file =
      parsed.IsSet("ca-cert") ? values.ca_cert : LookupEnv(env, "CACERT").value_or("");

  cfg.client_cert_file =
      parsed.IsSet("client-cert") ? values.client_cert : LookupEnv(env, "CLIENT_CERT").value_or("");
  cfg.client_key_file =
      parsed.IsSet("client-key") ? values.client_key : LookupEnv(env, "CLIENT_KEY").value_or("");
  if (cfg.client_cert_file.empty() != cfg.client_key_file.empty()) {
    return InvalidArgument("a client certificate needs both -client-cert and -client-key");
  }

  if (parsed.IsSet("tls-skip-verify")) {
    cfg.tls_skip_verify = values.tls_skip_verify;
  } else if (auto v = LookupEnv(env, "SKIP_VERIFY")) {
    if (!ParseGoBool(*v, &cfg.tls_skip_verify)) {
      return InvalidArgument("could not parse SKIP_VERIFY value \"" + *v + "\" as a bool");
    }
  }

  cfg.tls_server_name = parsed.IsSet("tls-server-name")
                            ? values.tls_server_name
                            : LookupEnv(env, "TLS_SERVER_NAME").value_or("");

  cfg.wrap_ttl =
      parsed.IsSet("wrap-ttl") ? values.wrap_ttl : LookupEnv(env, "WRAP_TTL").value_or("");

  if (auto v = LookupEnv(env, "CLIENT_TIMEOUT")) {
    Result<int64_t> secs = ParseDurationSeconds(std::string_view(*v));
    if (!secs.ok() || *secs <= 0 || *secs > 24 * 3600) {
      return InvalidArgument("invalid CLIENT_TIMEOUT value \"" + *v + "\"");
    }
    cfg.timeout_s = static_cast<int>(*secs);
  }
  return cfg;
}

Result<OutputFormat> ResolveOutputFormat(const GlobalFlags& values, const EnvLookup& env) {
  std::string format = values.format;
  if (format.empty()) format = LookupEnv(env, "FORMAT").value_or("table");
  std::transform(format.begin(), format.end(), format.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (format == "table") return OutputFormat::kTable;
  if (format == "json") return OutputFormat::kJson;
  return InvalidArgument("Invalid output format: " + format);
}

}  // namespace coffer::cli
