#include "core/share_collector.h"

#include <openssl/crypto.h>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::core {

void ShareCollector::StartIfIdle() {
  if (nonce_.empty()) nonce_ = crypto::RandomUuid();
}

bool ShareCollector::Add(const std::string& share) {
  for (const auto& s : shares_) {
    if (crypto::ConstantTimeEqual(s, share)) return false;
  }
  shares_.push_back(share);
  return true;
}

void ShareCollector::Reset() {
  for (auto& s : shares_) OPENSSL_cleanse(s.data(), s.size());
  shares_.clear();
  nonce_.clear();
}

}  // namespace coffer::core
