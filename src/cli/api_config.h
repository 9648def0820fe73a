// ApiConfig: where and how a client command talks to a server, resolved once
// per invocation from flags, the environment and the token file.
//
// Precedence, highest first: command-line flag > COFFER_<NAME> > VAULT_<NAME>
// > default. An environment variable set to "" counts as unset.
//   address      -address, COFFER_ADDR, VAULT_ADDR, "https://127.0.0.1:8200"
//   token        COFFER_TOKEN, VAULT_TOKEN, then $HOME/.vault-token (trimmed)
//   CA bundle    -ca-cert, COFFER_CACERT, VAULT_CACERT
//   client cert  -client-cert/-client-key, COFFER_CLIENT_CERT/_KEY, VAULT_CLIENT_CERT/_KEY
//   skip verify  -tls-skip-verify, COFFER_SKIP_VERIFY, VAULT_SKIP_VERIFY (Go ParseBool)
//   server name  -tls-server-name, COFFER_TLS_SERVER_NAME, VAULT_TLS_SERVER_NAME
//   timeout      COFFER_CLIENT_TIMEOUT, VAULT_CLIENT_TIMEOUT (Go duration or seconds), 60s
//   format       -format, COFFER_FORMAT, VAULT_FORMAT, "table"
//   wrap TTL     -wrap-ttl, COFFER_WRAP_TTL, VAULT_WRAP_TTL: sent as
//                X-Vault-Wrap-TTL, so the response comes back wrapped
//
// Thread-safety: values and pure functions.
// Invariants: a resolved address has an http:// or https:// scheme and no
// trailing '/'. The token is never logged or printed by this module.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cli/flags.h"
#include "coffer/status.h"

namespace coffer::cli {

// Reads one environment variable; nullopt when unset or empty.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment.
EnvLookup ProcessEnv();

// First set of COFFER_<name>, VAULT_<name>.
std::optional<std::string> LookupEnv(const EnvLookup& env, std::string_view name);

enum class OutputFormat { kTable, kJson };

// The flags every client command accepts. Register them with Register(), then
// after FlagSet::Parse() resolve with ResolveApiConfig()/ResolveOutputFormat().
struct GlobalFlags {
  std::string address;
  std::string ca_cert;
  std::string client_cert;
  std::string client_key;
  bool tls_skip_verify = false;
  std::string tls_server_name;
  std::string wrap_ttl;
  std::string format;

  void Register(FlagSet* flags);
};

struct ApiConfig {
  std::string address;
  std::string token;
  std::string ca_cert_file;
  std::string client_cert_file;
  std::string client_key_file;
  bool tls_skip_verify = false;
  std::string tls_server_name;
  std::string wrap_ttl;  // "" = responses are not wrapped
  int timeout_s = 60;
};

inline constexpr std::string_view kDefaultAddress = "https://127.0.0.1:8200";

// Errors (bad bool, bad address scheme, bad timeout) are InvalidArgument.
Result<ApiConfig> ResolveApiConfig(const GlobalFlags& values, const FlagSet& parsed,
                                   const EnvLookup& env);

// "table" or "json" (case-insensitive); anything else is InvalidArgument.
Result<OutputFormat> ResolveOutputFormat(const GlobalFlags& values, const EnvLookup& env);

}  // namespace coffer::cli
