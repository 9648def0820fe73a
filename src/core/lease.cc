#include "core/lease.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "common/json_util.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

Result<LeaseEntry::State> ParseState(const std::string& s) {
  if (s == "active") return LeaseEntry::State::kActive;
  if (s == "revoking") return LeaseEntry::State::kRevoking;
  if (s == "revocation_failed") return LeaseEntry::State::kRevocationFailed;
  return Corruption("lease entry: unknown state");
}

// Reads j[key] as T when present; a wrong type is corruption.
template <typename T>
Status Read(const Json& j, const char* key, T& out, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return Corruption(std::string("lease entry: missing ") + key);
    return Status::Ok();
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Corruption(std::string("lease entry: bad ") + key);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return Corruption(std::string("lease entry: bad ") + key);
  } else {
    if (!it->is_number_integer()) return Corruption(std::string("lease entry: bad ") + key);
  }
  out = it->get<T>();
  return Status::Ok();
}

}  // namespace

const char* LeaseStateName(LeaseEntry::State state) {
  switch (state) {
    case LeaseEntry::State::kActive:
      return "active";
    case LeaseEntry::State::kRevoking:
      return "revoking";
    case LeaseEntry::State::kRevocationFailed:
      return "revocation_failed";
  }
  return "active";
}

// Written field by field (keys in sorted order), byte for byte the JSON
// library's compact dump of the same object: building and dumping a Json
// tree was ~4% of a service token's CPU.
std::string LeaseEntry::StoredRecord() const {
  std::string out;
  out.reserve(384);
  JsonObjectWriter(&out)
      .Field("auth", auth)
      .Field("client_token_hash", client_token_hash)
      .Field("expire_time", expire_time)
      .Field("issue_time", issue_time)
      .Field("last_error", last_error)
      .Field("last_renewal_time", last_renewal_time)
      .Field("lease_id", lease_id)
      .Field("max_ttl_end", max_ttl_end)
      .Field("mount_path", mount_path)
      .Field("next_attempt_time", next_attempt_time)
      .Field("path", path)
      .Field("renewable", renewable)
      .Field("revoke_attempts", int64_t{revoke_attempts})
      .ValueField("secret_data", secret_data)
      .Field("state", std::string_view(LeaseStateName(state)))
      .Close();
  return out;
}

Result<LeaseEntry> LeaseEntry::FromStored(const Json& j) {
  if (!j.is_object()) return Corruption("lease entry: not an object");
  LeaseEntry e;
  RETURN_IF_ERROR(Read(j, "lease_id", e.lease_id, true));
  if (e.lease_id.empty()) return Corruption("lease entry: empty lease_id");
  RETURN_IF_ERROR(Read(j, "path", e.path, true));
  RETURN_IF_ERROR(Read(j, "mount_path", e.mount_path, false));
  RETURN_IF_ERROR(Read(j, "client_token_hash", e.client_token_hash, false));
  RETURN_IF_ERROR(Read(j, "issue_time", e.issue_time, true));
  RETURN_IF_ERROR(Read(j, "expire_time", e.expire_time, true));
  RETURN_IF_ERROR(Read(j, "last_renewal_time", e.last_renewal_time, false));
  RETURN_IF_ERROR(Read(j, "max_ttl_end", e.max_ttl_end, false));
  RETURN_IF_ERROR(Read(j, "renewable", e.renewable, false));
  RETURN_IF_ERROR(Read(j, "auth", e.auth, false));
  RETURN_IF_ERROR(Read(j, "revoke_attempts", e.revoke_attempts, false));
  RETURN_IF_ERROR(Read(j, "last_error", e.last_error, false));
  RETURN_IF_ERROR(Read(j, "next_attempt_time", e.next_attempt_time, false));
  std::string state = "active";
  RETURN_IF_ERROR(Read(j, "state", state, false));
  ASSIGN_OR_RETURN(e.state, ParseState(state));
  if (auto it = j.find("secret_data"); it != j.end()) e.secret_data = *it;
  return e;
}

std::string NewLeaseId(std::string_view request_path) {
  std::string id(request_path);
  if (!id.empty() && id.back() != '/') id += '/';
  id += crypto::RandomBase62(kLeaseIdRandomLength);
  return id;
}

namespace leasekeys {
std::string Entry(std::string_view lease_id) {
  return std::string(kIdPrefix) + std::string(lease_id);
}
std::string TokenIndexPrefix(std::string_view token_hash) {
  return std::string(kTokenPrefix) + std::string(token_hash) + "/";
}
std::string TokenIndex(std::string_view token_hash, std::string_view lease_id) {
  return TokenIndexPrefix(token_hash) + LeaseIdHash(lease_id);
}
std::string LeaseIdHash(std::string_view lease_id) {
  return crypto::HexEncode(crypto::Sha256(lease_id));
}
}  // namespace leasekeys

Result<int64_t> RenewedExpiry(const LeaseEntry& lease, int64_t increment, int64_t now,
                              int64_t mount_max_ttl) {
  if (increment < 0) return InvalidArgument("invalid increment");
  if (!lease.renewable || lease.state != LeaseEntry::State::kActive) {
    return InvalidArgument("lease is not renewable");
  }
  if (now >= lease.expire_time) return InvalidArgument("lease expired");

  int64_t cap = std::numeric_limits<int64_t>::max();
  if (lease.max_ttl_end > 0) cap = lease.max_ttl_end;
  if (mount_max_ttl > 0 && lease.issue_time <= cap - mount_max_ttl) {
    cap = std::min(cap, lease.issue_time + mount_max_ttl);
  }
  if (cap <= now) return InvalidArgument("lease expired");

  if (increment == 0) {
    int64_t start = lease.last_renewal_time > 0 ? lease.last_renewal_time : lease.issue_time;
    increment = std::max<int64_t>(lease.expire_time - start, 0);
  }
  // Saturating now + increment.
  int64_t wanted = increment > std::numeric_limits<int64_t>::max() - now
                       ? std::numeric_limits<int64_t>::max()
                       : now + increment;
  return std::min(wanted, cap);
}

int64_t BackoffSeconds(int attempts) {
  if (attempts <= 0) return 0;
  if (attempts > 12) return kMaxBackoffSeconds;  // 2^12 > 3600
  return std::min<int64_t>(int64_t{1} << (attempts - 1), kMaxBackoffSeconds);
}

}  // namespace coffer::core
