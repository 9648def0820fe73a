// GenerateRoot: the sys/generate-root flow. A quorum of unseal key holders
// each submit a share; when the threshold is reached a new root token is
// created and returned XOR-ed with a one-time password (OTP), so only the
// operator who started the attempt (and holds the OTP) can read it.
//
// Encoding (what clients decode): encoded_token = base64 without padding of
// (token bytes XOR OTP bytes); the OTP is a 28-character base62 string, the
// same length as a root token.
//
// Thread-safety: all methods are safe to call concurrently (one mutex).
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "coffer/json.h"
#include "coffer/status.h"
#include "core/share_collector.h"

namespace coffer::core {

inline constexpr int kOtpLength = 28;

class GenerateRoot {
 public:
  // Creates the new token once the quorum verified; returns the token id.
  using Mint = std::function<Result<std::string>()>;
  // Checks that the collected shares reconstruct the root key.
  using Verify = std::function<coffer::Status(const std::vector<std::string>&)>;

  // The status object of sys/generate-root/attempt (GET).
  Json StatusJson(int required) const;
  // Starts an attempt. `otp` may be empty (server generates one). Returns the
  // status object, with "otp" when generated here.
  Result<Json> Start(const std::string& otp, const std::string& pgp_key, int required);
  void Cancel();
  // Adds a share (already decoded) for the attempt `nonce`.
  Result<Json> Update(const std::string& share, const std::string& nonce, int required,
                      const Verify& verify, const Mint& mint);

  // XORs token with otp (equal lengths) and encodes as unpadded base64.
  static Result<std::string> Encode(const std::string& token, const std::string& otp);

 private:
  Json StatusLocked(int required) const;

  mutable std::mutex mu_;
  ShareCollector shares_;
  std::string otp_;
  std::string encoded_token_;
  bool complete_ = false;
};

}  // namespace coffer::core
