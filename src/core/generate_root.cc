#include "core/generate_root.h"

#include <openssl/crypto.h>

#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::core {

Result<std::string> GenerateRoot::Encode(const std::string& token, const std::string& otp) {
  if (token.size() != otp.size()) {
    return Internal("token and OTP lengths differ");
  }
  std::string x(token.size(), '\0');
  for (size_t i = 0; i < token.size(); ++i) x[i] = static_cast<char>(token[i] ^ otp[i]);
  std::string out = crypto::Base64RawEncode(x);
  OPENSSL_cleanse(x.data(), x.size());
  return out;
}

Json GenerateRoot::StatusLocked(int required) const {
  return Json{{"started", shares_.Started()},
              {"nonce", shares_.nonce()},
              {"progress", shares_.Count()},
              {"required", required},
              {"encoded_token", encoded_token_},
              {"encoded_root_token", encoded_token_},
              {"pgp_fingerprint", ""},
              {"otp_length", kOtpLength},
              {"complete", complete_}};
}

Json GenerateRoot::StatusJson(int required) const {
  std::lock_guard<std::mutex> lock(mu_);
  return StatusLocked(required);
}

Result<Json> GenerateRoot::Start(const std::string& otp, const std::string& pgp_key,
                                 int required) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shares_.Started()) return InvalidArgument("root generation already in progress");
  if (!pgp_key.empty()) {
    return InvalidArgument("pgp_key is not supported by this server; use the OTP flow");
  }
  bool generated = otp.empty();
  std::string chosen = generated ? crypto::RandomBase62(kOtpLength) : otp;
  if (chosen.size() != static_cast<size_t>(kOtpLength)) {
    return InvalidArgument("OTP string is wrong length: want " + std::to_string(kOtpLength) +
                           " characters");
  }
  encoded_token_.clear();
  complete_ = false;
  otp_ = chosen;
  shares_.StartIfIdle();
  Json status = StatusLocked(required);
  if (generated) status["otp"] = chosen;
  return status;
}

void GenerateRoot::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  shares_.Reset();
  OPENSSL_cleanse(otp_.data(), otp_.size());
  otp_.clear();
  encoded_token_.clear();
  complete_ = false;
}

Result<Json> GenerateRoot::Update(const std::string& share, const std::string& nonce,
                                  int required, const Verify& verify, const Mint& mint) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!shares_.Started()) return InvalidArgument("no root generation in progress");
  if (nonce != shares_.nonce()) {
    return InvalidArgument("incorrect nonce supplied: " + nonce);
  }
  shares_.Add(share);
  if (shares_.Count() < required) return StatusLocked(required);

  Status verified = verify(shares_.shares());
  if (!verified.ok()) {
    shares_.Reset();
    OPENSSL_cleanse(otp_.data(), otp_.size());
    otp_.clear();
    return InvalidArgument("root generation failed: " + verified.message());
  }
  Result<std::string> token = mint();
  if (!token.ok()) return token.status();
  Result<std::string> encoded = Encode(*token, otp_);
  OPENSSL_cleanse(token->data(), token->size());
  if (!encoded.ok()) return encoded.status();
  encoded_token_ = *encoded;
  complete_ = true;
  Json status = StatusLocked(required);
  // The attempt is over: the next GET shows nothing in progress.
  shares_.Reset();
  OPENSSL_cleanse(otp_.data(), otp_.size());
  otp_.clear();
  encoded_token_.clear();
  complete_ = false;
  status["started"] = true;
  status["progress"] = required;
  return status;
}

}  // namespace coffer::core
