#include "core/token_store.h"

#include <openssl/crypto.h>

#include <chrono>

#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

constexpr char kSaltKey[] = "sys/token/salt";
constexpr char kIdPrefix[] = "sys/token/id/";
constexpr char kAccessorPrefix[] = "sys/token/accessor/";

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool TokenEntry::IsRoot() const {
  for (const auto& p : policies) {
    if (p == "root") return true;
  }
  return false;
}

Json TokenEntry::ToStored() const {
  return Json{{"accessor", accessor},
              {"policies", policies},
              {"path", path},
              {"display_name", display_name},
              {"meta", meta},
              {"creation_time", creation_time},
              {"ttl", ttl},
              {"explicit_max_ttl", explicit_max_ttl},
              {"period", period},
              {"num_uses", num_uses},
              {"orphan", orphan},
              {"renewable", renewable},
              {"type", type},
              {"entity_id", entity_id}};
}

Result<TokenEntry> TokenEntry::FromStored(const Json& j) {
  try {
    TokenEntry e;
    e.accessor = j.at("accessor").get<std::string>();
    e.policies = j.at("policies").get<std::vector<std::string>>();
    e.path = j.at("path").get<std::string>();
    e.display_name = j.at("display_name").get<std::string>();
    e.meta = j.at("meta");
    e.creation_time = j.at("creation_time").get<int64_t>();
    e.ttl = j.at("ttl").get<int64_t>();
    e.explicit_max_ttl = j.at("explicit_max_ttl").get<int64_t>();
    e.period = j.at("period").get<int64_t>();
    e.num_uses = j.at("num_uses").get<int64_t>();
    e.orphan = j.at("orphan").get<bool>();
    e.renewable = j.at("renewable").get<bool>();
    e.type = j.at("type").get<std::string>();
    e.entity_id = j.at("entity_id").get<std::string>();
    return e;
  } catch (const Json::exception& ex) {
    return Corruption(std::string("token entry is unreadable: ") + ex.what());
  }
}

TokenStore::TokenStore(storage::Backend* barrier) : barrier_(barrier) {}

Status TokenStore::Setup() {
  ASSIGN_OR_RETURN(auto salt, barrier_->Get(kSaltKey));
  if (!salt.has_value()) {
    ASSIGN_OR_RETURN(std::string fresh, crypto::RandomBytes(32));
    RETURN_IF_ERROR(barrier_->Put(kSaltKey, fresh));
    salt = std::move(fresh);
  }
  std::lock_guard<std::mutex> lock(mu_);
  salt_ = std::move(*salt);
  return Status::Ok();
}

void TokenStore::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  OPENSSL_cleanse(salt_.data(), salt_.size());
  salt_.clear();
}

std::string TokenStore::NewTokenId() { return "hvs." + crypto::RandomBase62(24); }

Result<std::string> TokenStore::IdKey(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (salt_.empty()) return Sealed();
  return std::string(kIdPrefix) + crypto::HexEncode(crypto::HmacSha256(salt_, token));
}

Result<TokenEntry> TokenStore::CreateRootToken(const std::string& id) {
  TokenEntry e;
  e.id = id.empty() ? NewTokenId() : id;
  e.accessor = crypto::RandomBase62(24);
  e.policies = {"root"};
  e.path = "auth/token/root";
  e.display_name = "root";
  e.creation_time = NowUnix();
  e.orphan = true;
  ASSIGN_OR_RETURN(std::string key, IdKey(e.id));
  storage::Batch batch;
  batch.push_back(storage::Op::Put(key, e.ToStored().dump()));
  batch.push_back(storage::Op::Put(kAccessorPrefix + e.accessor, key));
  RETURN_IF_ERROR(barrier_->Write(batch));
  return e;
}

Result<std::optional<TokenEntry>> TokenStore::Lookup(const std::string& token) {
  if (token.empty()) return std::optional<TokenEntry>();
  ASSIGN_OR_RETURN(std::string key, IdKey(token));
  ASSIGN_OR_RETURN(auto raw, barrier_->Get(key));
  if (!raw.has_value()) return std::optional<TokenEntry>();
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption("token entry is not JSON");
  ASSIGN_OR_RETURN(TokenEntry e, TokenEntry::FromStored(j));
  if (e.ttl > 0 && e.creation_time + e.ttl <= NowUnix()) return std::optional<TokenEntry>();
  e.id = token;
  return std::optional<TokenEntry>(std::move(e));
}

Result<std::optional<TokenEntry>> TokenStore::LookupByAccessor(const std::string& accessor) {
  if (accessor.empty() || accessor.find('/') != std::string::npos) {
    return std::optional<TokenEntry>();
  }
  ASSIGN_OR_RETURN(auto key, barrier_->Get(kAccessorPrefix + accessor));
  if (!key.has_value()) return std::optional<TokenEntry>();
  ASSIGN_OR_RETURN(auto raw, barrier_->Get(*key));
  if (!raw.has_value()) return std::optional<TokenEntry>();
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption("token entry is not JSON");
  ASSIGN_OR_RETURN(TokenEntry e, TokenEntry::FromStored(j));
  if (e.ttl > 0 && e.creation_time + e.ttl <= NowUnix()) return std::optional<TokenEntry>();
  return std::optional<TokenEntry>(std::move(e));
}

Status TokenStore::Revoke(const std::string& token) {
  ASSIGN_OR_RETURN(std::string key, IdKey(token));
  ASSIGN_OR_RETURN(auto found, Lookup(token));
  storage::Batch batch;
  batch.push_back(storage::Op::Delete(key));
  if (found.has_value()) batch.push_back(storage::Op::Delete(kAccessorPrefix + found->accessor));
  return barrier_->Write(batch);
}

}  // namespace coffer::core
