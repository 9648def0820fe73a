// ShareCollector: gathers key shares for one multi-party attempt (unseal,
// generate-root, DR operation token) under a nonce.
//
// Thread-safety: none; the owner serialises access.
// Invariant: shares are distinct (compared in constant time); they are wiped
// from memory on Reset() and destruction.
#pragma once

#include <string>
#include <vector>

namespace coffer::core {

class ShareCollector {
 public:
  ShareCollector() = default;
  ~ShareCollector() { Reset(); }
  ShareCollector(const ShareCollector&) = delete;
  ShareCollector& operator=(const ShareCollector&) = delete;

  // Starts an attempt with a fresh nonce if none is running.
  void StartIfIdle();
  bool Started() const { return !nonce_.empty(); }
  const std::string& nonce() const { return nonce_; }
  // Adds a share; returns false when it was already given (no change).
  bool Add(const std::string& share);
  int Count() const { return static_cast<int>(shares_.size()); }
  const std::vector<std::string>& shares() const { return shares_; }
  void Reset();

 private:
  std::string nonce_;
  std::vector<std::string> shares_;
};

}  // namespace coffer::core
