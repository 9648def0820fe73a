// Storage backend interface: the physical layer under the barrier.
//
// A backend stores opaque bytes under string keys. It never sees plaintext
// secrets: the barrier encrypts every value before it gets here (only the seal
// configuration and the encrypted keyring sit here unencrypted-by-barrier).
//
// Thread-safety: every method may be called concurrently from many threads.
// Invariants:
//  - Write(batch) is atomic: after a crash either all of its ops are visible or
//    none. Once Write/Put/Delete returns OK the change is durable (synced).
//  - List(prefix) returns the immediate children of `prefix`, sorted, each
//    relative to prefix; a child that has children of its own appears once with
//    a trailing '/' ("a/b" and "a/c/d" under "a/" list as "b", "c/").
//  - Keys are non-empty; they may contain any byte but NUL.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"

namespace coffer::storage {

struct Op {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;  // empty for kDelete

  static Op Put(std::string k, std::string v) { return {Kind::kPut, std::move(k), std::move(v)}; }
  static Op Delete(std::string k) { return {Kind::kDelete, std::move(k), {}}; }
};

using Batch = std::vector<Op>;

// A stored value shared instead of copied; null when the key does not exist.
// The bytes never change: a layer that keeps the pointer and meets the same
// pointer again has met the same bytes (see Backend::GetShared).
using SharedValue = std::shared_ptr<const std::string>;

class Backend {
 public:
  virtual ~Backend() = default;

  // std::nullopt when the key does not exist.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  // As Get, without a copy where the layer holds the value in memory (the
  // read cache, the barrier's memo): while the stored value stays the same,
  // repeated calls may answer the same pointer, so a cache above can tell
  // bytes it decoded before by identity instead of by comparison. The
  // default copies Get's answer into a new value.
  virtual Result<SharedValue> GetShared(std::string_view key) {
    Result<std::optional<std::string>> value = Get(key);
    if (!value.ok()) return value.status();
    if (!value->has_value()) return SharedValue();
    return std::make_shared<const std::string>(std::move(**value));
  }
  // Applies every op of the batch atomically and durably.
  virtual Status Write(const Batch& batch) = 0;
  // Immediate children of prefix (see the invariant above).
  virtual Result<std::vector<std::string>> List(std::string_view prefix) = 0;
  // Every full key that starts with prefix, sorted. For bulk work (wipes,
  // migrations, Merkle rebuilds), not request paths.
  virtual Result<std::vector<std::string>> ListAll(std::string_view prefix) = 0;

  // Name for status output: "rocksdb", "inmem".
  virtual std::string_view Type() const = 0;

  Status Put(std::string key, std::string value) {
    return Write({Op::Put(std::move(key), std::move(value))});
  }
  Status Delete(std::string key) { return Write({Op::Delete(std::move(key))}); }
};

using BackendPtr = std::unique_ptr<Backend>;

}  // namespace coffer::storage
