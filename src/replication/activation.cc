#include "replication/activation.h"

#include "common/json_util.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::replication {
namespace {

constexpr char kHeader[] = R"({"alg":"HS256","typ":"JWT"})";

Status Malformed(std::string_view why) {
  return InvalidArgument("invalid activation token: " + std::string(why));
}

int64_t Int(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

std::string EncodeActivationToken(const ActivationClaims& c, std::string_view signing_key) {
  Json payload = {{"type", TypeName(c.type)},   {"addr", c.addr},
                  {"cluster_addr", c.cluster_addr}, {"id", c.secondary_id},
                  {"cluster_id", c.cluster_id}, {"iat", c.issued_at},
                  {"exp", c.expires_at},        {"jti", c.nonce}};
  std::string signing_input =
      crypto::Base64UrlEncode(kHeader) + "." + crypto::Base64UrlEncode(payload.dump());
  return signing_input + "." +
         crypto::Base64UrlEncode(crypto::HmacSha256(signing_key, signing_input));
}

Result<ActivationClaims> DecodeActivationToken(std::string_view token) {
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Malformed("expected three dot-separated parts");
  }
  auto payload_raw = crypto::Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload_raw.ok()) return Malformed("payload is not base64url");
  Json payload = Json::parse(*payload_raw, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) return Malformed("payload is not JSON");
  ActivationClaims c;
  std::optional<Type> type = ParseType(StoredString(payload, "type"));
  if (!type.has_value()) return Malformed("unknown replication type");
  c.type = *type;
  c.addr = StoredString(payload, "addr");
  c.cluster_addr = StoredString(payload, "cluster_addr");
  c.secondary_id = StoredString(payload, "id");
  c.cluster_id = StoredString(payload, "cluster_id");
  c.issued_at = Int(payload, "iat");
  c.expires_at = Int(payload, "exp");
  c.nonce = StoredString(payload, "jti");
  if (c.secondary_id.empty() || c.cluster_id.empty()) return Malformed("missing claims");
  return c;
}

Result<ActivationClaims> VerifyActivationToken(std::string_view token,
                                               std::string_view signing_key, int64_t now) {
  ASSIGN_OR_RETURN(ActivationClaims c, DecodeActivationToken(token));
  size_t last = token.rfind('.');
  auto sig = crypto::Base64UrlDecode(token.substr(last + 1));
  if (!sig.ok() ||
      !crypto::ConstantTimeEqual(*sig, crypto::HmacSha256(signing_key, token.substr(0, last)))) {
    return Malformed("bad signature");
  }
  if (c.expires_at != 0 && now >= c.expires_at) return InvalidArgument("activation token expired");
  return c;
}

Json PackageToJson(const ActivationPackage& p) {
  return Json{{"type", TypeName(p.type)},
              {"cluster_id", p.cluster_id},
              {"secondary_id", p.secondary_id},
              {"primary_cluster_addr", p.primary_cluster_addr},
              {"primary_api_addr", p.primary_api_addr},
              {"server_ca", p.server_ca_pem},
              {"client_cert", p.client_cert_pem},
              {"client_key", p.client_key_pem},
              {"generation", p.generation},
              {"root_key", crypto::Base64Encode(p.root_key)}};
}

Result<ActivationPackage> PackageFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument("activation package is not an object");
  ActivationPackage p;
  std::optional<Type> type = ParseType(StoredString(j, "type"));
  if (!type.has_value()) return InvalidArgument("activation package has no replication type");
  p.type = *type;
  p.cluster_id = StoredString(j, "cluster_id");
  p.secondary_id = StoredString(j, "secondary_id");
  p.primary_cluster_addr = StoredString(j, "primary_cluster_addr");
  p.primary_api_addr = StoredString(j, "primary_api_addr");
  p.server_ca_pem = StoredString(j, "server_ca");
  p.client_cert_pem = StoredString(j, "client_cert");
  p.client_key_pem = StoredString(j, "client_key");
  auto gen = j.find("generation");
  p.generation = gen != j.end() && gen->is_number_unsigned() ? gen->get<uint64_t>() : 1;
  auto root = crypto::Base64Decode(StoredString(j, "root_key"));
  if (!root.ok() || root->size() != 32) {
    return InvalidArgument("activation package has no valid root key");
  }
  p.root_key = std::move(*root);
  if (p.cluster_id.empty() || p.secondary_id.empty() || p.primary_cluster_addr.empty() ||
      p.server_ca_pem.empty() || p.client_cert_pem.empty() || p.client_key_pem.empty()) {
    return InvalidArgument("activation package is incomplete");
  }
  return p;
}

}  // namespace coffer::replication
