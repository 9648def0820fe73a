#include "core/token_store.h"

#include <openssl/crypto.h>

#include <chrono>

#include "common/clock.h"
#include "common/json_util.h"
#include "core/token_store_keys.h"
#include "core/token_ttl.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/hmac_key.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

int64_t SystemNow() { return UnixSeconds(); }

Result<Json> ParseStored(const std::string& raw, const char* what) {
  Json j = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption(std::string(what) + " is not JSON");
  return j;
}

}  // namespace

bool TokenEntry::IsRoot() const {
  for (const auto& p : policies) {
    if (p == "root") return true;
  }
  return false;
}

int64_t TokenEntry::ExpireTime() const {
  if (ttl <= 0) return 0;
  return (last_renewal_time > 0 ? last_renewal_time : creation_time) + ttl;
}

int64_t TokenEntry::RemainingTtl(int64_t now) const {
  const int64_t expire = ExpireTime();
  return expire == 0 || expire <= now ? 0 : expire - now;
}

// Written field by field rather than through a Json tree and its dump (that
// was ~5% of a service token's CPU); the bytes are the same: the library's
// compact dump, keys in sorted order.
std::string TokenEntry::StoredRecord() const {
  std::string out;
  out.reserve(512);
  JsonObjectWriter(&out)
      .Field("accessor", accessor)
      .Field("bound_cidrs", bound_cidrs)
      .Field("creation_time", creation_time)
      .Field("creation_ttl", creation_ttl)
      .Field("cubbyhole_id", cubbyhole_id)
      .Field("display_name", display_name)
      .Field("entity_id", entity_id)
      .Field("explicit_max_ttl", explicit_max_ttl)
      .Field("issue_time", issue_time)
      .Field("last_renewal_time", last_renewal_time)
      .Field("meta", meta)
      .Field("num_uses", num_uses)
      .Field("parent", parent)
      .Field("path", path)
      .Field("period", period)
      .Field("policies", policies)
      .Field("renewable", renewable)
      .Field("role", role)
      .Field("ttl", ttl)
      .Field("type", type)
      .Close();
  return out;
}

Result<TokenEntry> TokenEntry::FromStored(const Json& j) {
  try {
    if (!j.is_object()) return Corruption("token entry is not an object");
    TokenEntry e;
    e.accessor = j.value("accessor", "");
    e.policies = j.at("policies").get<std::vector<std::string>>();
    e.path = j.value("path", "");
    e.display_name = j.value("display_name", "");
    if (j.contains("meta") && j["meta"].is_object()) {
      e.meta = j["meta"].get<std::map<std::string, std::string>>();
    }
    e.parent = j.value("parent", "");
    e.cubbyhole_id = j.value("cubbyhole_id", "");
    e.role = j.value("role", "");
    e.bound_cidrs = j.value("bound_cidrs", std::vector<std::string>{});
    e.entity_id = j.value("entity_id", "");
    e.type = j.value("type", "service");
    e.creation_time = j.value("creation_time", int64_t{0});
    e.issue_time = j.value("issue_time", "");
    e.ttl = j.value("ttl", int64_t{0});
    e.creation_ttl = j.value("creation_ttl", e.ttl);
    e.last_renewal_time = j.value("last_renewal_time", int64_t{0});
    e.explicit_max_ttl = j.value("explicit_max_ttl", int64_t{0});
    e.period = j.value("period", int64_t{0});
    e.num_uses = j.value("num_uses", int64_t{0});
    e.renewable = j.value("renewable", false);
    e.orphan = e.parent.empty();
    if (e.type != "service" && e.type != "batch") return Corruption("token entry has a bad type");
    return e;
  } catch (const Json::exception& ex) {
    return Corruption(std::string("token entry is unreadable: ") + ex.what());
  }
}

TokenStore::TokenStore(Barrier* barrier) : barrier_(barrier), now_(SystemNow) {}

Status TokenStore::Setup() {
  ASSIGN_OR_RETURN(auto salt, barrier_->Get(tokenkeys::kSalt));
  if (!salt.has_value()) {
    ASSIGN_OR_RETURN(std::string fresh, crypto::RandomBytes(32));
    RETURN_IF_ERROR(barrier_->Put(std::string(tokenkeys::kSalt), fresh));
    salt = std::move(fresh);
  }
  auto key = std::make_shared<const crypto::HmacSha256Key>(*salt);
  OPENSSL_cleanse(salt->data(), salt->size());
  std::lock_guard<std::mutex> lock(mu_);
  salt_ = std::move(key);
  return Status::Ok();
}

void TokenStore::Reset() {
  decoded_.Clear();
  std::lock_guard<std::mutex> lock(mu_);
  salt_.reset();  // wipes the key's pad states
}

void TokenStore::SetClock(std::function<int64_t()> now) {
  std::lock_guard<std::mutex> lock(mu_);
  custom_clock_.store(static_cast<bool>(now), std::memory_order_release);
  now_ = now ? std::move(now) : SystemNow;
}

int64_t TokenStore::Now() const {
  // Every request asks (token liveness): the system clock needs no lock,
  // which both I/O threads would otherwise take in turn.
  if (!custom_clock_.load(std::memory_order_acquire)) return SystemNow();
  std::lock_guard<std::mutex> lock(mu_);
  return now_();
}

void TokenStore::SetRevokeHook(std::function<void(const TokenEntry&)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  revoke_hook_ = std::move(hook);
}

void TokenStore::SetLeaseHooks(LeaseHooks hooks) {
  std::lock_guard<std::mutex> lock(mu_);
  lease_hooks_ = std::move(hooks);
}

TokenStore::LeaseHooks TokenStore::LeaseHooksCopy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lease_hooks_;
}

std::string TokenStore::NewTokenId() { return "hvs." + crypto::RandomBase62(24); }

Result<std::string> TokenStore::Hash(const std::string& token) {
  std::shared_ptr<const crypto::HmacSha256Key> key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    key = salt_;
  }
  if (!key) return Sealed();
  return crypto::HexEncode(key->Mac(token));
}

bool TokenStore::Live(const TokenEntry& e, int64_t now) {
  if (e.num_uses == kSpentUses) return false;
  const int64_t expire = e.ExpireTime();
  return expire == 0 || expire > now;
}

Result<std::shared_ptr<const TokenEntry>> TokenStore::ReadSharedByHash(const std::string& hash,
                                                                      bool use_cache) {
  using Shared = std::shared_ptr<const TokenEntry>;
  if (!tokenkeys::ValidHash(hash)) return Shared();
  ASSIGN_OR_RETURN(storage::SharedValue raw, barrier_->GetShared(tokenkeys::Id(hash)));
  if (!raw) return Shared();
  // Every authenticated request reads its token entry: parse it once.
  if (Shared hit = decoded_.Find(hash, raw)) return hit;
  ASSIGN_OR_RETURN(Json j, ParseStored(*raw, "token entry"));
  ASSIGN_OR_RETURN(TokenEntry e, TokenEntry::FromStored(j));
  e.hash = hash;
  if (use_cache) return decoded_.Put(hash, std::move(raw), std::move(e));
  return Shared(std::make_shared<const TokenEntry>(std::move(e)));
}

Result<std::optional<TokenEntry>> TokenStore::ReadByHash(const std::string& hash,
                                                         bool use_cache) {
  ASSIGN_OR_RETURN(std::shared_ptr<const TokenEntry> e, ReadSharedByHash(hash, use_cache));
  if (!e) return std::optional<TokenEntry>();
  return std::optional<TokenEntry>(*e);
}

Status TokenStore::WriteEntry(const TokenEntry& e) {
  return barrier_->Put(tokenkeys::Id(e.hash), e.StoredRecord());
}

Result<TokenEntry> TokenStore::CreateRootToken(const std::string& id) {
  TokenEntry e;
  e.id = id;
  e.policies = {"root"};
  e.path = "auth/token/root";
  e.display_name = "root";
  return Create(std::move(e));
}

Result<TokenEntry> TokenStore::Create(TokenEntry entry) {
  ASSIGN_OR_RETURN(TokenEntry made, CreateEntry(std::move(entry)));
  if (made.IsBatch() || made.ExpireTime() == 0) return made;
  LeaseHooks hooks = LeaseHooksCopy();
  if (hooks.created) hooks.created(made);
  return made;
}

Result<TokenEntry> TokenStore::CreateEntry(TokenEntry e) {
  if (e.type != "service" && e.type != "batch") return InvalidArgument("invalid 'token_type' value");
  if (e.num_uses < 0) return InvalidArgument("number of uses cannot be negative");
  if (e.ttl < 0 || e.explicit_max_ttl < 0 || e.period < 0) {
    return InvalidArgument("token TTLs cannot be negative");
  }
  // Shared for a fresh random id, exclusive for a caller-chosen one (its
  // duplicate check and write must not interleave with another's).
  std::shared_lock<fiber::SharedMutex> shared_lock(write_mu_, std::defer_lock);
  std::unique_lock<fiber::SharedMutex> exclusive_lock(write_mu_, std::defer_lock);
  if (e.id.empty()) {
    shared_lock.lock();
  } else {
    exclusive_lock.lock();
  }
  const int64_t now = Now();
  if (!e.parent.empty()) {
    ASSIGN_OR_RETURN(auto parent, ReadSharedByHash(e.parent));
    if (!parent || !Live(*parent, now)) return InvalidArgument("parent token not found");
  }
  e.orphan = e.parent.empty();
  e.creation_time = now;
  e.issue_time = FormatRfc3339(now);
  e.creation_ttl = e.ttl;
  e.last_renewal_time = 0;
  e.spent = false;
  if (e.IsBatch()) {
    if (!e.id.empty()) return InvalidArgument("batch tokens cannot have a custom ID");
    e.accessor.clear();
    e.cubbyhole_id.clear();
    e.renewable = false;
    ASSIGN_OR_RETURN(e.id, EncodeBatch(e));
    ASSIGN_OR_RETURN(e.hash, Hash(e.id));
    return e;
  }
  const bool custom = !e.id.empty();
  if (!custom) e.id = NewTokenId();
  if (e.id.starts_with("hvb.")) return InvalidArgument("token ID cannot start with \"hvb.\"");
  ASSIGN_OR_RETURN(e.hash, Hash(e.id));
  if (custom) {
    ASSIGN_OR_RETURN(auto existing, ReadByHash(e.hash));
    if (existing.has_value()) return InvalidArgument("cannot create a token with a duplicate ID");
  }
  e.accessor = crypto::RandomBase62(24);
  e.cubbyhole_id = crypto::RandomBase62(24);
  storage::Batch batch;
  batch.push_back(storage::Op::Put(tokenkeys::Id(e.hash), e.StoredRecord()));
  batch.push_back(storage::Op::Put(tokenkeys::Accessor(e.accessor), e.hash));
  if (!e.parent.empty()) {
    batch.push_back(storage::Op::Put(tokenkeys::Child(e.parent, e.hash), "1"));
  }
  if (e.ExpireTime() != 0) {
    LeaseHooks hooks = LeaseHooksCopy();
    if (hooks.lease_ops) {
      ASSIGN_OR_RETURN(storage::Batch lease, hooks.lease_ops(e));
      for (storage::Op& op : lease) batch.push_back(std::move(op));
    }
  }
  RETURN_IF_ERROR(barrier_->Write(batch));
  return e;
}

Result<std::string> TokenStore::EncodeBatch(const TokenEntry& e) {
  ASSIGN_OR_RETURN(std::string sealed, barrier_->Encrypt(tokenkeys::kBatchContext,
                                                         e.StoredRecord()));
  return "hvb." + crypto::Base64UrlEncode(sealed);
}

Result<std::optional<TokenEntry>> TokenStore::LookupBatch(const std::string& token) {
  const std::optional<TokenEntry> none;
  auto sealed = crypto::Base64UrlDecode(std::string_view(token).substr(4));
  if (!sealed.ok()) return none;
  auto plain = barrier_->Decrypt(tokenkeys::kBatchContext, *sealed);
  if (!plain.ok()) {
    // A forged or mangled token is just an unknown token; sealed is sealed.
    if (plain.status().code() == Code::kCorruption ||
        plain.status().code() == Code::kInvalidArgument) {
      return none;
    }
    return plain.status();
  }
  ASSIGN_OR_RETURN(Json j, ParseStored(*plain, "batch token"));
  ASSIGN_OR_RETURN(TokenEntry e, TokenEntry::FromStored(j));
  if (!e.IsBatch()) return none;
  const int64_t now = Now();
  if (!Live(e, now)) return none;
  if (!e.parent.empty()) {
    ASSIGN_OR_RETURN(auto parent, ReadSharedByHash(e.parent));
    if (!parent || !Live(*parent, now)) return none;
  }
  e.id = token;
  ASSIGN_OR_RETURN(e.hash, Hash(token));
  return std::optional<TokenEntry>(std::move(e));
}

Result<std::optional<TokenEntry>> TokenStore::Lookup(const std::string& token) {
  if (token.empty()) return std::optional<TokenEntry>();
  if (token.starts_with("hvb.")) return LookupBatch(token);
  ASSIGN_OR_RETURN(std::string hash, Hash(token));
  // The result itself is passed on (every request comes here; each
  // unwrapping and rewrapping of the entry would move it once more).
  Result<std::optional<TokenEntry>> e = ReadByHash(hash);
  if (!e.ok() || !e->has_value()) return e;
  TokenEntry& entry = **e;
  if (entry.IsBatch() || !Live(entry, Now())) return std::optional<TokenEntry>();
  entry.id = token;
  return e;
}

Result<std::optional<TokenEntry>> TokenStore::LookupSelf(const std::string& token) {
  if (token.empty()) return std::optional<TokenEntry>();
  if (token.starts_with("hvb.")) return LookupBatch(token);
  ASSIGN_OR_RETURN(std::string hash, Hash(token));
  ASSIGN_OR_RETURN(auto e, ReadByHash(hash));
  if (!e.has_value() || e->IsBatch()) return std::optional<TokenEntry>();
  if (e->num_uses == kSpentUses) {
    e->num_uses = 0;
    e->spent = true;
  }
  if (!Live(*e, Now())) return std::optional<TokenEntry>();
  e->id = token;
  return e;
}

Result<std::optional<TokenEntry>> TokenStore::LookupAndUse(const std::string& token) {
  Result<std::optional<TokenEntry>> looked_up = Lookup(token);
  if (!looked_up.ok()) return looked_up;
  const std::optional<TokenEntry>& found = *looked_up;
  if (!found.has_value() || found->num_uses == 0 || found->IsBatch()) return looked_up;
  std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
  // Re-read under the lock: a concurrent use may have spent the token.
  ASSIGN_OR_RETURN(auto e, ReadByHash(found->hash));
  if (!e.has_value() || !Live(*e, Now())) return std::optional<TokenEntry>();
  e->id = token;
  if (e->num_uses > 0) {
    --e->num_uses;
    if (e->num_uses == 0) {
      e->num_uses = kSpentUses;
      RETURN_IF_ERROR(WriteEntry(*e));
      e->num_uses = 0;
      e->spent = true;
      return e;
    }
    RETURN_IF_ERROR(WriteEntry(*e));
  }
  return e;
}

Status TokenStore::RevokeIfSpent(const TokenEntry& entry) {
  if (!entry.spent) return Status::Ok();
  return RevokeTreeByHash(entry.hash);
}

Result<std::optional<TokenEntry>> TokenStore::LookupByAccessor(const std::string& accessor) {
  if (accessor.empty() || accessor.find('/') != std::string::npos) {
    return std::optional<TokenEntry>();
  }
  ASSIGN_OR_RETURN(auto hash, barrier_->Get(tokenkeys::Accessor(accessor)));
  if (!hash.has_value()) return std::optional<TokenEntry>();
  ASSIGN_OR_RETURN(auto e, ReadByHash(*hash));
  if (!e.has_value() || !Live(*e, Now())) return std::optional<TokenEntry>();
  return e;
}

Result<TokenEntry> TokenStore::RenewEntry(const std::string& hash, int64_t increment,
                                           int64_t max_ttl) {
  std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
  const int64_t now = Now();
  ASSIGN_OR_RETURN(auto e, ReadByHash(hash));
  if (!e.has_value() || !Live(*e, now)) return InvalidArgument("token not found");
  if (e->IsBatch()) return InvalidArgument("batch tokens cannot be renewed");
  ASSIGN_OR_RETURN(int64_t ttl, RenewedTtl(RenewInputs{.now = now,
                                                       .creation_time = e->creation_time,
                                                       .creation_ttl = e->creation_ttl,
                                                       .current_ttl = e->ttl,
                                                       .increment = increment,
                                                       .period = e->period,
                                                       .explicit_max_ttl = e->explicit_max_ttl,
                                                       .max_ttl = max_ttl,
                                                       .renewable = e->renewable}));
  e->ttl = ttl;
  e->last_renewal_time = now;
  RETURN_IF_ERROR(WriteEntry(*e));
  return *std::move(e);
}

Result<TokenEntry> TokenStore::RenewByHash(const std::string& hash, int64_t increment,
                                           int64_t max_ttl) {
  ASSIGN_OR_RETURN(TokenEntry renewed, RenewEntry(hash, increment, max_ttl));
  LeaseHooks hooks = LeaseHooksCopy();
  if (hooks.renewed) RETURN_IF_ERROR(hooks.renewed(renewed));
  return renewed;
}

Result<std::vector<std::string>> TokenStore::ListAccessors() {
  return barrier_->List(tokenkeys::kAccessorPrefix);
}

Result<std::optional<TokenRole>> TokenStore::GetRole(const std::string& name) {
  if (!tokenkeys::ValidRoleName(name)) return std::optional<TokenRole>();
  ASSIGN_OR_RETURN(auto raw, barrier_->Get(tokenkeys::Role(name)));
  if (!raw.has_value()) return std::optional<TokenRole>();
  ASSIGN_OR_RETURN(Json j, ParseStored(*raw, "token role"));
  ASSIGN_OR_RETURN(TokenRole role, TokenRole::FromStored(j));
  return std::optional<TokenRole>(std::move(role));
}

Status TokenStore::PutRole(const TokenRole& role) {
  if (!tokenkeys::ValidRoleName(role.name)) return InvalidArgument("invalid role name");
  return barrier_->Put(tokenkeys::Role(role.name), DumpJsonCompact(role.ToStored()));
}

Status TokenStore::DeleteRole(const std::string& name) {
  if (!tokenkeys::ValidRoleName(name)) return Status::Ok();
  return barrier_->Delete(tokenkeys::Role(name));
}

Result<std::vector<std::string>> TokenStore::ListRoles() {
  return barrier_->List(tokenkeys::kRolePrefix);
}

}  // namespace coffer::core
