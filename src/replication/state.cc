#include "replication/state.h"

#include "common/json_util.h"
#include "crypto/encoding.h"
#include "engines/stored_json.h"

namespace coffer::replication {
namespace {

uint64_t U64(const Json& j, const char* key, uint64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : fallback;
}

Json CertJson(const cluster::CertKey& c) { return Json{{"cert", c.cert_pem}, {"key", c.key_pem}}; }

cluster::CertKey CertFrom(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return {};
  return cluster::CertKey{StoredString(*it, "cert"), StoredString(*it, "key")};
}

template <typename T, typename Parse>
Result<std::optional<T>> LoadJson(storage::Backend& storage, const std::string& key, Parse parse) {
  ASSIGN_OR_RETURN(auto raw, storage.Get(key));
  if (!raw.has_value()) return std::optional<T>();
  ASSIGN_OR_RETURN(Json j, engines::ParseStoredJson(*raw, "replication state"));
  ASSIGN_OR_RETURN(T value, parse(j));
  return std::optional<T>(std::move(value));
}

}  // namespace

std::string PrimaryStateKey(Type t) {
  return "core/replication/" + std::string(TypeName(t)) + "/primary";
}
std::string SecondaryStateKey(Type t) {
  return "core/replication/" + std::string(TypeName(t)) + "/secondary";
}

Json ToJson(const PrimaryState& s) {
  Json secondaries = Json::object();
  for (const auto& [id, r] : s.secondaries) {
    secondaries[id] = {{"fingerprint", r.fingerprint},
                       {"token_accessor", r.token_accessor},
                       {"issued_at", r.issued_at}};
  }
  Json filters = Json::object();
  for (const auto& [id, f] : s.filters) filters[id] = {{"mode", f.mode}, {"paths", f.paths}};
  return Json{{"cluster_id", s.cluster_id},
              {"primary_cluster_addr", s.primary_cluster_addr},
              {"ca", CertJson(s.ca)},
              {"signing_key", crypto::Base64Encode(s.signing_key)},
              {"generation", s.generation},
              {"secondaries", secondaries},
              {"filters", filters}};
}

Result<PrimaryState> PrimaryFromJson(const Json& j) {
  if (!j.is_object()) return Corruption("primary replication state is not an object");
  PrimaryState s;
  s.cluster_id = StoredString(j, "cluster_id");
  s.primary_cluster_addr = StoredString(j, "primary_cluster_addr");
  s.ca = CertFrom(j, "ca");
  auto key = crypto::Base64Decode(StoredString(j, "signing_key"));
  if (!key.ok()) return Corruption("primary replication state has a bad signing key");
  s.signing_key = std::move(*key);
  s.generation = U64(j, "generation", 1);
  if (auto it = j.find("secondaries"); it != j.end() && it->is_object()) {
    for (const auto& [id, r] : it->items()) {
      SecondaryRecord rec;
      rec.id = id;
      rec.fingerprint = StoredString(r, "fingerprint");
      rec.token_accessor = StoredString(r, "token_accessor");
      rec.issued_at = r.value("issued_at", int64_t{0});
      s.secondaries[id] = std::move(rec);
    }
  }
  if (auto it = j.find("filters"); it != j.end() && it->is_object()) {
    for (const auto& [id, f] : it->items()) {
      s.filters[id] = PathsFilter{StoredString(f, "mode"), StoredStrings(f, "paths")};
    }
  }
  if (s.cluster_id.empty() || s.ca.cert_pem.empty()) {
    return Corruption("primary replication state is incomplete");
  }
  return s;
}

Json ToJson(const SecondaryState& s) {
  return Json{{"cluster_id", s.cluster_id},
              {"secondary_id", s.secondary_id},
              {"primary_cluster_addr", s.primary_cluster_addr},
              {"primary_api_addr", s.primary_api_addr},
              {"known_primary_cluster_addrs", s.known_primary_cluster_addrs},
              {"server_ca", s.server_ca_pem},
              {"client", CertJson(s.client)},
              {"generation", s.generation},
              {"connect", s.connect}};
}

Result<SecondaryState> SecondaryFromJson(const Json& j) {
  if (!j.is_object()) return Corruption("secondary replication state is not an object");
  SecondaryState s;
  s.cluster_id = StoredString(j, "cluster_id");
  s.secondary_id = StoredString(j, "secondary_id");
  s.primary_cluster_addr = StoredString(j, "primary_cluster_addr");
  s.primary_api_addr = StoredString(j, "primary_api_addr");
  s.known_primary_cluster_addrs = StoredStrings(j, "known_primary_cluster_addrs");
  s.server_ca_pem = StoredString(j, "server_ca");
  s.client = CertFrom(j, "client");
  s.generation = U64(j, "generation", 1);
  s.connect = j.value("connect", true);
  if (s.cluster_id.empty()) return Corruption("secondary replication state is incomplete");
  return s;
}

Json ToJson(const ClusterTls& s) { return Json{{"ca", CertJson(s.ca)}, {"server", CertJson(s.server)}}; }

Result<ClusterTls> ClusterTlsFromJson(const Json& j) {
  ClusterTls s{CertFrom(j, "ca"), CertFrom(j, "server")};
  if (s.ca.cert_pem.empty() || s.server.cert_pem.empty()) {
    return Corruption("cluster TLS identity is incomplete");
  }
  return s;
}

Result<std::optional<PrimaryState>> LoadPrimary(storage::Backend& storage, Type t) {
  return LoadJson<PrimaryState>(storage, PrimaryStateKey(t), PrimaryFromJson);
}
Result<std::optional<SecondaryState>> LoadSecondary(storage::Backend& storage, Type t) {
  return LoadJson<SecondaryState>(storage, SecondaryStateKey(t), SecondaryFromJson);
}
Result<std::optional<ClusterTls>> LoadClusterTls(storage::Backend& storage) {
  return LoadJson<ClusterTls>(storage, kClusterTlsKey, ClusterTlsFromJson);
}
Status SavePrimary(storage::Backend& storage, Type t, const PrimaryState& s) {
  return storage.Put(PrimaryStateKey(t), DumpJsonCompact(ToJson(s)));
}
Status SaveSecondary(storage::Backend& storage, Type t, const SecondaryState& s) {
  return storage.Put(SecondaryStateKey(t), DumpJsonCompact(ToJson(s)));
}
Status SaveClusterTls(storage::Backend& storage, const ClusterTls& s) {
  return storage.Put(kClusterTlsKey, DumpJsonCompact(ToJson(s)));
}

}  // namespace coffer::replication
