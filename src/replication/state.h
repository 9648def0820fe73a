// What a cluster remembers about its replication roles, stored through the
// barrier (local class: a DR replica of this cluster holds it too, so a
// promoted DR cluster carries on with the same sets; see storage_class.cc).
//
//   core/replication/cluster-tls        this cluster's cluster-port identity:
//                                       a CA and the server certificate it signed
//   core/replication/<type>/primary     PrimaryState of the set this cluster leads
//   core/replication/<type>/secondary   SecondaryState of the set it follows
//
// Thread-safety: plain values and free functions over a thread-safe Backend.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/certs.h"
#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"
#include "replication/types.h"

namespace coffer::replication {

// The server side of the cluster port: secondaries verify `server` against
// `ca` (the CA travels in their activation package).
struct ClusterTls {
  cluster::CertKey ca;
  cluster::CertKey server;
};

struct SecondaryRecord {
  std::string id;
  std::string fingerprint;     // SHA-256 of its client certificate (hex)
  std::string token_accessor;  // the activation (wrapping) token's accessor
  int64_t issued_at = 0;
};

struct PathsFilter {
  std::string mode = "allow";       // "allow" | "deny"
  std::vector<std::string> paths;   // mount paths, "secret/", "auth/userpass/"
};

struct PrimaryState {
  std::string cluster_id;
  std::string primary_cluster_addr;  // operator override; "" = this node's cluster address
  cluster::CertKey ca;               // the set's CA: signs secondaries' client certificates
  std::string signing_key;           // activation-token HMAC key
  uint64_t generation = 1;
  std::map<std::string, SecondaryRecord> secondaries;  // by id
  std::map<std::string, PathsFilter> filters;          // by secondary id
};

struct SecondaryState {
  std::string cluster_id;
  std::string secondary_id;
  std::string primary_cluster_addr;
  std::string primary_api_addr;
  std::vector<std::string> known_primary_cluster_addrs;
  std::string server_ca_pem;
  cluster::CertKey client;
  uint64_t generation = 1;
  // A demoted primary, or update-primary with an empty token: a secondary
  // that connects nowhere until update-primary.
  bool connect = true;
};

std::string PrimaryStateKey(Type t);
std::string SecondaryStateKey(Type t);
inline constexpr char kClusterTlsKey[] = "core/replication/cluster-tls";
inline constexpr char kIndexKeyKey[] = "core/replication/index-key";
inline constexpr char kCanaryKey[] = "core/replication/canary";

Json ToJson(const PrimaryState& s);
Json ToJson(const SecondaryState& s);
Json ToJson(const ClusterTls& s);
Result<PrimaryState> PrimaryFromJson(const Json& j);
Result<SecondaryState> SecondaryFromJson(const Json& j);
Result<ClusterTls> ClusterTlsFromJson(const Json& j);

// Reads and writes through `storage` (the barrier). Load* return nullopt when absent.
Result<std::optional<PrimaryState>> LoadPrimary(storage::Backend& storage, Type t);
Result<std::optional<SecondaryState>> LoadSecondary(storage::Backend& storage, Type t);
Result<std::optional<ClusterTls>> LoadClusterTls(storage::Backend& storage);
Status SavePrimary(storage::Backend& storage, Type t, const PrimaryState& s);
Status SaveSecondary(storage::Backend& storage, Type t, const SecondaryState& s);
Status SaveClusterTls(storage::Backend& storage, const ClusterTls& s);

}  // namespace coffer::replication
