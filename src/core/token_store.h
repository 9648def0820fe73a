// TokenStore: service tokens, their accessors and their storage.
//
// Tokens are never stored in clear: an entry lives at
// "sys/token/id/<hex HMAC-SHA256(salt, token)>" and its accessor index at
// "sys/token/accessor/<accessor>", both through the barrier. The salt is
// created once per cluster at "sys/token/salt".
//
// Thread-safety: all methods may be called concurrently; the salt is loaded
// once in Setup() (after unseal) and read-only afterwards.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer::core {

struct TokenEntry {
  std::string id;  // the token itself; never persisted
  std::string accessor;
  std::vector<std::string> policies;
  std::string path;
  std::string display_name;
  Json meta = nullptr;
  int64_t creation_time = 0;  // unix seconds
  int64_t ttl = 0;            // seconds; 0 = never expires
  int64_t explicit_max_ttl = 0;
  int64_t period = 0;
  int64_t num_uses = 0;
  bool orphan = false;
  bool renewable = false;
  std::string type = "service";
  std::string entity_id;

  bool IsRoot() const;
  Json ToStored() const;
  static Result<TokenEntry> FromStored(const Json& j);
};

class TokenStore {
 public:
  explicit TokenStore(storage::Backend* barrier);

  // Loads (or creates) the salt. Called after every unseal.
  Status Setup();
  // Forgets the salt. Called on seal.
  void Reset();

  // A new root token ("hvs." + 24 base62 characters), or `id` when given
  // (dev mode's -dev-root-token-id).
  Result<TokenEntry> CreateRootToken(const std::string& id = "");
  // nullopt when unknown or expired.
  Result<std::optional<TokenEntry>> Lookup(const std::string& token);
  Status Revoke(const std::string& token);
  // The entry behind an accessor; its `id` is left empty (an accessor never
  // reveals its token).
  Result<std::optional<TokenEntry>> LookupByAccessor(const std::string& accessor);

  // "hvs." + 24 base62 characters: 28 characters, as Vault's root tokens.
  static std::string NewTokenId();

 private:
  Result<std::string> IdKey(const std::string& token);

  storage::Backend* barrier_;
  std::mutex mu_;
  std::string salt_;  // GUARDED_BY(mu_)
};

}  // namespace coffer::core
