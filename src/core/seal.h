// Seal: the Shamir seal over the barrier. Owns the seal configuration (how many
// shares, what threshold), turns `sys/init` into a root key and its shares,
// and collects unseal key shares until the threshold is reached.
//
// Thread-safety: all methods are safe to call concurrently (one internal
// mutex; never held across storage I/O other than the barrier's own calls).
// Invariants:
//  - The seal configuration lives in the physical backend at kSealConfigKey,
//    in plain JSON (it holds no secret). It exists iff the node is initialised.
//  - Key shares and the combined root key are wiped from memory as soon as the
//    attempt ends (success, failure or reset).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "coffer/status.h"
#include "coffer/storage.h"
#include "core/barrier.h"
#include "core/share_collector.h"

namespace coffer::core {

inline constexpr char kSealConfigKey[] = "core/seal-config";

struct SealConfig {
  int secret_shares = 0;
  int secret_threshold = 0;
};

struct InitResult {
  std::vector<std::string> keys;  // raw key shares (or the root key when shares == 1)
  std::string root_key;           // for the caller that must unseal at once (dev mode)
};

struct UnsealProgress {
  bool sealed = true;
  int progress = 0;
  std::string nonce;
};

class Seal {
 public:
  Seal(storage::Backend* physical, Barrier* barrier);

  Result<bool> Initialized();
  // nullopt when not initialised.
  Result<std::optional<SealConfig>> Config();

  // Validates shares/threshold, writes the seal config and a new keyring.
  // REQUIRES: not initialised (else InvalidArgument "Vault is already initialized").
  Result<InitResult> Initialize(int secret_shares, int secret_threshold);

  // Adds one key share. When the threshold is reached the barrier is unsealed
  // (or the attempt fails and resets). A share already given is ignored.
  Result<UnsealProgress> SubmitUnsealKey(const std::string& key);
  void ResetUnseal();
  UnsealProgress Progress() const;

  // Combines a full set of shares into the root key (for generate-root and
  // operation tokens). Checks the result against the barrier's root key.
  // REQUIRES: barrier unsealed.
  Status VerifyRootKey(const std::vector<std::string>& shares);

  // Decodes a key as clients send it: hex first, when the decoded length fits
  // a share of this seal, else standard base64.
  static Result<std::string> DecodeKey(const std::string& text, int secret_shares);

 private:
  Result<std::string> Combine(const std::vector<std::string>& shares, const SealConfig& config);

  storage::Backend* physical_;
  Barrier* barrier_;
  mutable std::mutex mu_;
  ShareCollector unseal_shares_;  // GUARDED_BY(mu_)
};

}  // namespace coffer::core
