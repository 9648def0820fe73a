#include "core/seal.h"

#include <openssl/crypto.h>

#include "coffer/json.h"
#include "common/log.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/shamir.h"

namespace coffer::core {
namespace {

constexpr size_t kRootKeySize = 32;

// Wipes a string holding key material when it goes out of scope.
struct Wipe {
  std::string* s;
  ~Wipe() {
    if (s != nullptr) OPENSSL_cleanse(s->data(), s->size());
  }
};

}  // namespace

Seal::Seal(storage::Backend* physical, Barrier* barrier) : physical_(physical), barrier_(barrier) {}

Result<std::optional<SealConfig>> Seal::Config() {
  ASSIGN_OR_RETURN(auto raw, physical_->Get(kSealConfigKey));
  if (!raw.has_value()) return std::optional<SealConfig>();
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("secret_shares") ||
      !j["secret_shares"].is_number_integer() || !j.contains("secret_threshold") ||
      !j["secret_threshold"].is_number_integer()) {
    return Corruption("seal configuration is unreadable");
  }
  SealConfig c;
  c.secret_shares = j["secret_shares"].get<int>();
  c.secret_threshold = j["secret_threshold"].get<int>();
  return std::optional<SealConfig>(c);
}

Result<bool> Seal::Initialized() {
  ASSIGN_OR_RETURN(auto config, Config());
  return config.has_value();
}

Result<InitResult> Seal::Initialize(int secret_shares, int secret_threshold) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(bool initialized, Initialized());
  if (initialized) return InvalidArgument("Vault is already initialized");
  if (secret_shares < 1) return InvalidArgument("secret shares must be at least one");
  if (secret_shares > 255) return InvalidArgument("secret shares must be at most 255");
  if (secret_threshold < 1) return InvalidArgument("secret threshold must be at least one");
  if (secret_threshold > secret_shares) {
    return InvalidArgument("secret threshold cannot be larger than secret shares");
  }
  if (secret_shares > 1 && secret_threshold == 1) {
    return InvalidArgument("secret threshold must be greater than one for multiple shares");
  }
  if (secret_shares == 1 && secret_threshold != 1) {
    return InvalidArgument("secret threshold must be one for a single share");
  }

  InitResult result;
  ASSIGN_OR_RETURN(result.root_key, crypto::RandomBytes(kRootKeySize));
  if (secret_shares == 1) {
    result.keys.push_back(result.root_key);
  } else {
    ASSIGN_OR_RETURN(result.keys,
                     crypto::ShamirSplit(result.root_key, secret_shares, secret_threshold));
  }
  // The keyring first: a crash between the two writes leaves a node that is
  // still "not initialised" (no seal config) and can be initialised again.
  RETURN_IF_ERROR(barrier_->Initialize(result.root_key));
  Json config = {{"type", "shamir"},
                 {"secret_shares", secret_shares},
                 {"secret_threshold", secret_threshold}};
  RETURN_IF_ERROR(physical_->Put(kSealConfigKey, config.dump()));
  COFFER_LOG(kInfo, "seal") << "initialised with " << secret_shares << " key shares, threshold "
                            << secret_threshold;
  return result;
}

Result<std::string> Seal::DecodeKey(const std::string& text, int secret_shares) {
  // A share is the root key plus one x-coordinate byte; a single "share" is
  // the root key itself.
  const size_t min_len = kRootKeySize;
  const size_t max_len = secret_shares == 1 ? kRootKeySize : kRootKeySize + 1;
  auto hex = crypto::HexDecode(text);
  if (hex.ok() && hex->size() >= min_len && hex->size() <= max_len) return std::move(hex).value();
  auto b64 = crypto::Base64Decode(text);
  if (b64.ok()) return std::move(b64).value();
  return InvalidArgument("'key' must be a valid hex or base64 string");
}

Result<std::string> Seal::Combine(const std::vector<std::string>& shares,
                                  const SealConfig& config) {
  if (config.secret_shares == 1) {
    if (shares.size() != 1 || shares[0].size() != kRootKeySize) {
      return InvalidArgument("invalid key length");
    }
    return shares[0];
  }
  for (const auto& s : shares) {
    if (s.size() != kRootKeySize + 1) return InvalidArgument("invalid key share length");
  }
  return crypto::ShamirCombine(shares);
}

Result<UnsealProgress> Seal::SubmitUnsealKey(const std::string& key) {
  ASSIGN_OR_RETURN(auto config, Config());
  if (!config.has_value()) return InvalidArgument("Vault is not initialized");
  std::lock_guard<std::mutex> lock(mu_);
  if (!barrier_->Sealed()) {
    unseal_shares_.Reset();
    return UnsealProgress{false, 0, ""};
  }
  ASSIGN_OR_RETURN(std::string share, DecodeKey(key, config->secret_shares));
  Wipe wipe_share{&share};
  unseal_shares_.StartIfIdle();
  unseal_shares_.Add(share);
  if (unseal_shares_.Count() < config->secret_threshold) {
    return UnsealProgress{true, unseal_shares_.Count(), unseal_shares_.nonce()};
  }
  auto root_key = Combine(unseal_shares_.shares(), *config);
  unseal_shares_.Reset();
  if (!root_key.ok()) return root_key.status();
  Wipe wipe_root{&root_key.value()};
  Status st = barrier_->Unseal(*root_key);
  if (!st.ok()) {
    COFFER_LOG(kWarn, "seal") << "unseal attempt failed: the key shares did not decrypt the keyring";
    return InvalidArgument("unseal failed: the key shares do not reconstruct this node's root key");
  }
  COFFER_LOG(kInfo, "seal") << "unsealed";
  return UnsealProgress{false, 0, ""};
}

void Seal::ResetUnseal() {
  std::lock_guard<std::mutex> lock(mu_);
  unseal_shares_.Reset();
}

UnsealProgress Seal::Progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return UnsealProgress{barrier_->Sealed(), unseal_shares_.Count(), unseal_shares_.nonce()};
}

Status Seal::VerifyRootKey(const std::vector<std::string>& shares) {
  ASSIGN_OR_RETURN(auto config, Config());
  if (!config.has_value()) return InvalidArgument("Vault is not initialized");
  ASSIGN_OR_RETURN(std::string combined, Combine(shares, *config));
  Wipe wipe_combined{&combined};
  ASSIGN_OR_RETURN(std::string root_key, barrier_->RootKey());
  Wipe wipe_root{&root_key};
  if (!crypto::ConstantTimeEqual(combined, root_key)) {
    return InvalidArgument("the key shares do not reconstruct the root key");
  }
  return Status::Ok();
}

}  // namespace coffer::core
