// AppRole secret ids: the stored entry, creating one from a request, and its
// storage.
//
// Storage (inside the mount's view):
//   "secret_id/<role>/<hex HMAC(salt, secret_id)>"  the entry (JSON)
//   "accessor/<role>/<accessor>"                    {"secret_id_hmac": <hex>}
// A secret id is never stored in the clear: it is found through its HMAC.
// Accessors are random UUIDs that name a secret id without revealing it.
//
// Thread-safety: pure functions over a storage backend; callers serialise
// read-modify-write sequences (the engine holds its mutex).
// Invariants: an entry's num_uses is 0 (unlimited) or the uses left;
// expiration_time is 0 (never) or creation_time + ttl; cidr_list and
// token_bound_cidrs lie within the role's secret_id_bound_cidrs and
// token_bound_cidrs when the role has those.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/approle_role.h"
#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer::auth::approle {

struct SecretIdEntry {
  std::string accessor;
  int64_t creation_time = 0;  // unix seconds
  int64_t expiration_time = 0;
  int64_t last_updated_time = 0;
  std::map<std::string, std::string> metadata;
  int64_t num_uses = 0;
  int64_t ttl = 0;
  std::vector<std::string> cidr_list;
  std::vector<std::string> token_bound_cidrs;

  bool Expired(int64_t now) const { return expiration_time != 0 && now >= expiration_time; }
  Json ToStored() const;
  static Result<SecretIdEntry> FromStored(const Json& j);
  // The lookup view: times as RFC 3339, "0001-01-01T00:00:00Z" for none.
  Json ToLookupJson() const;
};

// "2024-05-01T12:00:00Z" for unix seconds; 0 renders as Go's zero time.
std::string FormatTime(int64_t unix_seconds);

// A new entry for `role` from a secret-id request body: metadata (a map or a
// JSON string of one), cidr_list, token_bound_cidrs, ttl, num_uses. The
// accessor is a fresh UUID.
Result<SecretIdEntry> NewSecretIdEntry(const Json& data, const Role& role, int64_t now);

// Hex HMAC naming a secret id in storage.
std::string SecretIdHmac(const std::string& salt, const std::string& secret_id);

Result<std::optional<SecretIdEntry>> LoadSecretId(storage::Backend* s, const std::string& role,
                                                  const std::string& hmac);
// Writes the entry and its accessor index atomically.
Status StoreSecretId(storage::Backend* s, const std::string& role, const std::string& hmac,
                     const SecretIdEntry& entry);
// Deletes the entry and its accessor index atomically.
Status DestroySecretId(storage::Backend* s, const std::string& role, const std::string& hmac,
                       const std::string& accessor);
// The HMAC behind an accessor, nullopt when unknown.
Result<std::optional<std::string>> HmacForAccessor(storage::Backend* s, const std::string& role,
                                                   const std::string& accessor);

}  // namespace coffer::auth::approle
