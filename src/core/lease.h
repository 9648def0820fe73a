// lease: the bookkeeping record of one lease and the pure arithmetic around it
// (ids, storage keys, renewal, revocation retry backoff). No I/O here; the
// expiration manager that stores entries and schedules them is built on top.
//
// Storage layout (all under the barrier):
//   sys/expire/id/<lease_id>
//       the LeaseEntry as JSON (ToStored). lease_id contains '/' (it starts
//       with the request path), so this key nests like the path; a LIST of
//       sys/expire/id/<prefix> finds the leases under a prefix.
//   sys/expire/token/<token hash>/<lease id hash>
//       per-token index; value is the lease_id. Revoking a token lists
//       sys/expire/token/<token hash>/ and revokes each lease without scanning
//       every lease. Both hashes are 64 lower-case hex characters (SHA-256 of
//       the token / lease id), so these keys never escape their prefix.
//
// Thread-safety: LeaseEntry is a plain value; the functions are pure except
// NewLeaseId, which reads the process DRBG (thread-safe).
// Invariants: a stored entry always round-trips through FromStored; FromStored
// rejects malformed input with kCorruption instead of crashing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::core {

struct LeaseEntry {
  enum class State { kActive, kRevoking, kRevocationFailed };

  std::string lease_id;
  std::string path;        // request path that created the lease
  std::string mount_path;  // e.g. "database/"
  Json secret_data;        // engine's internal data needed to revoke
  std::string client_token_hash;
  int64_t issue_time = 0;         // unix seconds
  int64_t expire_time = 0;        // unix seconds
  int64_t last_renewal_time = 0;  // unix seconds; 0 = never renewed
  int64_t max_ttl_end = 0;        // unix seconds; 0 = no lease-specific cap
  bool renewable = false;
  // A token's own lease (id "<token path>/<token hash>"): expiry revokes the
  // token whose hash is client_token_hash; there is no engine to call.
  bool auth = false;
  State state = State::kActive;
  int revoke_attempts = 0;
  std::string last_error;  // backend's revoke error (never a secret)
  int64_t next_attempt_time = 0;

  // The stored JSON record (compact, keys sorted); FromStored reads it back.
  std::string StoredRecord() const;
  static Result<LeaseEntry> FromStored(const Json& j);
};

const char* LeaseStateName(LeaseEntry::State state);

// Length of the random suffix of a lease id.
inline constexpr size_t kLeaseIdRandomLength = 24;
// Revocation attempts after which a lease is reported irrevocable.
inline constexpr int kMaxRevokeAttempts = 6;
// Upper bound of BackoffSeconds.
inline constexpr int64_t kMaxBackoffSeconds = 3600;

// "<request path>/<24 base62 chars>"; a trailing '/' on the path is not
// doubled. Example: "database/creds/ro" -> "database/creds/ro/IQKUMCTg3M5...".
std::string NewLeaseId(std::string_view request_path);

namespace leasekeys {
inline constexpr std::string_view kIdPrefix = "sys/expire/id/";
inline constexpr std::string_view kTokenPrefix = "sys/expire/token/";
// sys/expire/id/<lease_id>
std::string Entry(std::string_view lease_id);
// sys/expire/token/<token_hash>/  (for listing a token's leases)
std::string TokenIndexPrefix(std::string_view token_hash);
// sys/expire/token/<token_hash>/<hex sha256 of lease_id>
std::string TokenIndex(std::string_view token_hash, std::string_view lease_id);
// 64 lower-case hex characters: SHA-256 of the lease id.
std::string LeaseIdHash(std::string_view lease_id);
}  // namespace leasekeys

// The new expire_time of a renewal at `now`. increment 0 renews by the
// lease's current duration (expire_time - last renewal or issue). The result
// is never past the cap: the lease's max_ttl_end and issue_time +
// mount_max_ttl (0 = none), whichever is earlier. Errors (kInvalidArgument):
//   "lease is not renewable"  renewable == false or state != kActive
//   "lease expired"           now >= expire_time, or the cap has passed
//   "invalid increment"       increment < 0
Result<int64_t> RenewedExpiry(const LeaseEntry& lease, int64_t increment, int64_t now,
                              int64_t mount_max_ttl);

// Delay before revocation retry number `attempts` (1-based): 1, 2, 4, ...
// capped at kMaxBackoffSeconds. attempts <= 0 -> 0.
int64_t BackoffSeconds(int attempts);

}  // namespace coffer::core
