// TokenStore: tokens, their accessors, their parent/child tree, token roles.
//
// Storage (all through the barrier, so every value is encrypted):
//   sys/token/salt                          per-cluster HMAC salt
//   sys/token/id/<hash>                     service token entry (JSON)
//   sys/token/accessor/<accessor>           -> "<hash>"
//   sys/token/parent/<parent hash>/<hash>   child index (value unused)
//   sys/token/roles/<name>                  token role (see token_role.h)
// where <hash> is hex HMAC-SHA256(salt, token). A token is never stored in
// clear, and neither is a parent's token: an entry names its parent by hash.
//
// Service tokens are "hvs." + 24 base62 characters. Batch tokens are not
// stored at all: the token is "hvb." + base64url(barrier.Encrypt(
// "sys/token/batch", entry JSON)), so only this cluster's keyring can read
// one. They have no accessor, cannot be renewed or revoked and expire by TTL;
// a non-orphan batch token dies with its parent.
//
// Use limits: LookupAndUse spends one use of a token with num_uses > 0. The
// use that spends the last one succeeds; the stored entry is then marked
// spent (num_uses -1), so later lookups see no token, and RevokeIfSpent
// (called by the core once the request has finished, so e.g. a single-use
// wrapping token can still read its cubbyhole) revokes it. Tidy revokes any
// spent token a crash left behind.
//
// Expired tokens are invisible to Lookup and removed (with their subtree) by
// Tidy. Every revocation, by any route, calls the revoke hook once per token.
// Leases: every stored service token with a TTL gets a lease through the
// lease hooks (the expiration manager): `lease_ops` gives the writes that
// store the lease, written in the token's own atomic batch (one synced write,
// never a token without its lease); `created` then schedules it; `renewed`
// follows a renewal. The lease's expiry revokes the token on time; Tidy
// stays as a safety net.
//
// Thread-safety: every method may be called concurrently. Reads take no
// lock beyond the salt's; mutations (use, renew, revoke, tidy, and creates
// with a caller-chosen id) take write_mu_ exclusively so read-modify-write of
// an entry cannot lose an update. Creates of fresh random ids only add keys
// nothing else touches: they take write_mu_ shared, so their synced writes
// run side by side and join one group commit, while a revoke still waits for
// them (a parent cannot be revoked between a child's liveness check and the
// child's index entry). write_mu_ is a fiber::SharedMutex: token creation
// may run on a fiber (common/fiber.h) and holds it across its write. The revoke hook runs after the change is written and with no lock
// held, so it may call back into the store.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "coffer/engine.h"
#include "common/decoded_cache.h"
#include "common/fiber.h"
#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "core/barrier.h"
#include "core/token_role.h"
#include "crypto/hmac_key.h"

namespace coffer::core {

inline constexpr int64_t kSpentUses = -1;  // TokenEntry::num_uses of a spent token

struct TokenEntry {
  std::string id;    // the token itself; never persisted; empty when unknown
  std::string hash;  // salted HMAC of id: the storage key; never persisted
  std::string accessor;  // "" for batch tokens
  std::vector<std::string> policies;
  std::string path;  // creation path, e.g. "auth/token/create"
  std::string display_name;
  std::map<std::string, std::string> meta;
  std::string parent;  // hash of the parent token; "" for orphans
  std::string cubbyhole_id;  // keys the token's cubbyhole; "" for batch tokens
  std::string role;
  std::vector<std::string> bound_cidrs;
  std::string entity_id;
  std::string type = "service";  // "service" or "batch"
  int64_t creation_time = 0;      // unix seconds
  std::string issue_time;         // RFC 3339 of creation_time
  int64_t creation_ttl = 0;       // seconds; 0 = never expires
  int64_t ttl = 0;                // seconds from the last renewal (or creation)
  int64_t last_renewal_time = 0;  // unix seconds; 0 = never renewed
  int64_t explicit_max_ttl = 0;
  int64_t period = 0;
  int64_t num_uses = 0;  // remaining uses; 0 = unlimited; kSpentUses = spent
  bool orphan = false;   // parent.empty(), kept in step with it
  bool renewable = false;
  bool spent = false;    // never persisted: this lookup used the last use

  bool IsRoot() const;
  bool IsBatch() const { return type == "batch"; }
  // Unix seconds at which the token expires; 0 = never.
  int64_t ExpireTime() const;
  // Seconds left at `now` (0 for non-expiring tokens, and for expired ones).
  int64_t RemainingTtl(int64_t now) const;

  // The stored JSON record (compact, keys sorted); FromStored reads it back.
  std::string StoredRecord() const;
  static Result<TokenEntry> FromStored(const Json& j);
};

struct TidyReport {
  int expired = 0;           // expired or spent tokens revoked (with subtrees)
  int dangling_children = 0; // children of a missing parent, revoked
  int stale_accessors = 0;   // accessor entries of a missing token, deleted
};

class TokenStore {
 public:
  // `barrier` is not owned and must outlive the store.
  explicit TokenStore(Barrier* barrier);

  // Loads (or creates) the salt. Called after every unseal.
  Status Setup();
  // Forgets the salt. Called on seal.
  void Reset();

  // Replaces the clock (unix seconds); for tests.
  void SetClock(std::function<int64_t()> now);
  int64_t Now() const;
  // Called once for every token revoked, after it is gone from storage. The
  // entry's `id` is empty for tokens revoked as descendants (only their hash
  // is known); `hash`, `accessor` and `cubbyhole_id` are always set.
  void SetRevokeHook(std::function<void(const TokenEntry&)> hook);
  struct LeaseHooks {
    // For a service token with a TTL (see the file comment).
    std::function<Result<storage::Batch>(const TokenEntry&)> lease_ops;
    std::function<void(const TokenEntry&)> created;
    std::function<Status(const TokenEntry&)> renewed;
  };
  void SetLeaseHooks(LeaseHooks hooks);

  // A new non-expiring root token ("hvs." + 24 base62 characters), or `id`
  // when given (dev mode's -dev-root-token-id).
  Result<TokenEntry> CreateRootToken(const std::string& id = "");

  // Stores a token the caller has fully decided (policies, TTL, type, parent
  // hash...). Fills id (unless set: a custom id), hash, accessor,
  // cubbyhole_id, creation_time, issue_time, creation_ttl (= ttl) and orphan.
  // A parent must be a live stored token. A custom id must be new.
  Result<TokenEntry> Create(TokenEntry entry);

  // A login: mints the token an auth method asked for (see token_store_auth.cc)
  // and returns the auth block with client_token, accessor and the final
  // lease_duration.
  Result<AuthInfo> CreateForAuth(const AuthInfo& requested, const MountEntry& mount,
                                 const SystemView& system, const std::string& creation_path);

  // nullopt when unknown, expired, spent, or (batch) undecodable or orphaned
  // by its parent's revocation.
  Result<std::optional<TokenEntry>> Lookup(const std::string& token);
  // Lookup, except that a spent token (its last use is the request in
  // flight) is still returned, with spent = true and num_uses 0: for the
  // *-self endpoints, which run inside that request.
  Result<std::optional<TokenEntry>> LookupSelf(const std::string& token);
  // Lookup, spending one use of a use-limited token (see the file comment).
  Result<std::optional<TokenEntry>> LookupAndUse(const std::string& token);
  // Revokes the token when `entry.spent`; otherwise does nothing.
  Status RevokeIfSpent(const TokenEntry& entry);
  // The entry behind an accessor; its `id` is left empty (an accessor never
  // reveals its token).
  Result<std::optional<TokenEntry>> LookupByAccessor(const std::string& accessor);

  // Renews a live service token identified by `hash` (see token_ttl.h for the
  // arithmetic; `max_ttl` is the mount/system max). Errors as RenewedTtl's,
  // plus "token not found".
  Result<TokenEntry> RenewByHash(const std::string& hash, int64_t increment, int64_t max_ttl);

  // Revokes the token and all its descendants. Unknown tokens are not an
  // error; batch tokens are ("batch tokens cannot be revoked").
  Status Revoke(const std::string& token);
  Status RevokeTree(const std::string& token) { return Revoke(token); }
  Status RevokeTreeByHash(const std::string& hash);
  // Revokes every token created under `prefix` (e.g. "auth/userpass/" when
  // that auth method is disabled), with their subtrees. Returns how many
  // matched. Scans every token: for mount changes, not request paths.
  Result<int> RevokeByPathPrefix(const std::string& prefix);
  // Revokes only the token; its children become orphans. Unknown tokens are
  // InvalidArgument("token to revoke not found").
  Status RevokeOrphan(const std::string& token);

  // The stored entry under `hash` whatever its state (expired, spent);
  // nullopt when there is none. Its `id` is empty.
  Result<std::optional<TokenEntry>> EntryByHash(const std::string& hash) {
    return ReadByHash(hash);
  }

  // Every accessor of a stored token.
  Result<std::vector<std::string>> ListAccessors();

  // Revokes expired and spent tokens (with their subtrees) and children whose
  // parent is gone; deletes stale accessor entries.
  Result<TidyReport> Tidy();

  // Token roles.
  Result<std::optional<TokenRole>> GetRole(const std::string& name);
  Status PutRole(const TokenRole& role);
  Status DeleteRole(const std::string& name);
  Result<std::vector<std::string>> ListRoles();

  // "hvs." + 24 base62 characters: 28 characters, as Vault's service tokens.
  static std::string NewTokenId();

 private:
  Result<std::string> Hash(const std::string& token);
  // Create without the lease hook. REQUIRES: write_mu_ not held.
  Result<TokenEntry> CreateEntry(TokenEntry entry);
  LeaseHooks LeaseHooksCopy() const;
  // RenewByHash without the lease hook (takes write_mu_).
  Result<TokenEntry> RenewEntry(const std::string& hash, int64_t increment, int64_t max_ttl);
  // The stored entry under `hash`, whatever its state. Scans of every token
  // pass use_cache=false so they do not push hot entries out of the cache.
  Result<std::optional<TokenEntry>> ReadByHash(const std::string& hash, bool use_cache = true);
  // As ReadByHash, sharing the decoded entry instead of copying it (nullptr
  // when there is none): for checks that only look at it, as a parent's
  // liveness on every create.
  Result<std::shared_ptr<const TokenEntry>> ReadSharedByHash(const std::string& hash,
                                                             bool use_cache = true);
  // Not expired and not spent at `now`.
  static bool Live(const TokenEntry& e, int64_t now);
  Result<std::optional<TokenEntry>> LookupBatch(const std::string& token);
  Result<std::string> EncodeBatch(const TokenEntry& e);
  Status WriteEntry(const TokenEntry& e);
  // REQUIRES: write_mu_ held. Revokes `hash` and its subtree, children first;
  // appends what it revoked to *revoked.
  Status RevokeTreeLocked(const std::string& hash, std::vector<TokenEntry>* revoked);
  void RunHook(const std::vector<TokenEntry>& revoked);

  Barrier* barrier_;
  mutable std::mutex mu_;
  // The HMAC key of token hashes (the stored salt); null while sealed. Shared
  // so Hash computes outside mu_ (every request hashes its token); the key
  // wipes its pad states when the last holder lets go.
  std::shared_ptr<const crypto::HmacSha256Key> salt_;  // GUARDED_BY(mu_)
  std::function<int64_t()> now_;                      // GUARDED_BY(mu_)
  std::atomic<bool> custom_clock_{false};  // SetClock installed now_ (else the system's)
  std::function<void(const TokenEntry&)> revoke_hook_;  // GUARDED_BY(mu_)
  // Token entries decoded from their stored bytes (cleared on seal); a
  // changed entry is a miss, so no write needs to invalidate it.
  DecodedCache<TokenEntry> decoded_{kDecodedEntries};
  static constexpr size_t kDecodedEntries = 8192;
  LeaseHooks lease_hooks_;                              // GUARDED_BY(mu_)
  fiber::SharedMutex write_mu_;  // see Thread-safety; taken before mu_, never after
};

}  // namespace coffer::core
