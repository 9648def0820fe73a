// The server configuration file (`coffer server -config FILE`), Vault's format.
//
// Files are HCL or JSON (see common/hcl.h for how HCL maps to JSON). We read
// the subset of Vault's keys that Coffer acts on; unknown keys and blocks
// (telemetry, ha_storage, service_registration, ...) are ignored so an existing
// Vault config keeps working. Values take Vault's loose types: booleans as
// true/"true"/1, durations as seconds or Go duration strings ("30s", "768h").
//
// Thread-safety: plain structs and pure functions.
// Invariants: a ServerConfig returned by ParseServerConfig/LoadServerConfig
// has passed ValidateServerConfig: exactly one storage backend, every listener
// of type "tcp" with a known tls_min_version and (unless tls_disable) both TLS
// files, default_lease_ttl_s <= max_lease_ttl_s, a log_level that
// log::ParseLevel accepts, and (unless skipped for dev mode) a listener.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::config {

struct StorageConfig {
  std::string type;               // "file", "raft", "inmem", ...
  Json options = Json::object();  // the block's attributes, e.g. {"path": "..."}
};

struct ListenerConfig {
  std::string type = "tcp";
  std::string address = "127.0.0.1:8200";
  std::string cluster_address;  // default: DefaultClusterAddress(address)
  bool tls_disable = false;
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  std::string tls_min_version = "tls12";  // tls10 | tls11 | tls12 | tls13
  bool tls_require_and_verify_client_cert = false;
  // Bytes; 0 in the file means this default, negative means no limit (Vault).
  int64_t max_request_size = 33554432;
  int64_t max_request_duration_s = 90;  // 0 in the file means this default
  // As given in the file; 0 means no timeout, as in Go's http.Server.
  int64_t http_read_header_timeout_s = 10;
  int64_t http_read_timeout_s = 30;
  int64_t http_idle_timeout_s = 300;
};

struct ReplicationConfig {
  int64_t logshipper_buffer_length = 0;  // entries; 0 = default
  int64_t logshipper_buffer_size = 0;    // bytes ("5gb" accepted); 0 = default
  // How long a performance secondary waits to apply the WAL index of a write
  // it forwarded (and a request's X-Vault-Index) before answering anyway.
  int64_t best_effort_wal_wait_ms = 2000;
  int64_t canary_write_interval_s = 1;  // the primary's canary; 0 disables
  // How long a secondary's bootstrap retries an unreachable primary.
  int64_t bootstrap_timeout_ms = 120000;
};

struct ServerConfig {
  StorageConfig storage;
  std::vector<ListenerConfig> listeners;
  std::string api_addr, cluster_addr, cluster_name;
  bool disable_mlock = false;
  int64_t default_lease_ttl_s = 768 * 3600, max_lease_ttl_s = 768 * 3600;
  std::string log_level = "info";
  bool ui = false;
  bool raw_storage_endpoint = false;
  bool disable_cache = false;
  int64_t cache_size = 0;  // entries of the read cache; 0: the default (131072)
  ReplicationConfig replication;
};

struct ValidateOptions {
  // Dev mode supplies its own listener, so a config without one is fine.
  bool require_listener = true;
};

// Builds a config from one parsed document (HCL or JSON, as hcl::ParseFile
// returns it) and validates it. `source_name` (usually the file name) starts
// every error message.
Result<ServerConfig> ParseServerConfig(const Json& root, std::string_view source_name,
                                       ValidateOptions options = {});

// Reads each path (a file, or a directory whose *.hcl and *.json files are
// read in name order) and merges them like Vault: later files override
// scalars and the storage backend, listeners append. Then validates.
Result<ServerConfig> LoadServerConfig(const std::vector<std::string>& paths,
                                      ValidateOptions options = {});

// The whole-config checks listed in the invariants above.
Status ValidateServerConfig(const ServerConfig& config, std::string_view source_name,
                            ValidateOptions options = {});

// "host:port" -> "host:port+1" ("[::1]:8200" -> "[::1]:8201"; port 0 stays 0
// so an ephemeral API port gets an ephemeral cluster port). "" when the
// address has no numeric port or the port is 65535.
std::string DefaultClusterAddress(const std::string& address);

}  // namespace coffer::config
