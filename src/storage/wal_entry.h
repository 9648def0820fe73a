// WAL records: the byte format of one replicated-log entry and of the log's
// state record, and the keys they live under. docs/formats/wal.md is the
// normative description; this file implements it.
//
//   node/wal/entry/<index: 16 lower-case hex digits>  one record per index
//   node/wal/state                                    first/last index, last hash, bytes
//   replication/upstream/<name>                       last upstream entry applied here
//
// Record: prev_hash(32) || body || hash(32), hash = SHA-256(prev_hash || body).
// Body: version(1)=1, index(u64), commit_time_ms(u64), op_count(u32), then per
// op: kind(1) class(1) key_len(u32) key value_len(u32) value. Integers are
// big-endian. Values are what the barrier wrote (ciphertext), never plaintext.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"
#include "storage/storage_class.h"

namespace coffer::storage {

inline constexpr size_t kWalHashSize = 32;
inline constexpr std::string_view kWalEntryPrefix = "node/wal/entry/";
inline constexpr std::string_view kWalStateKey = "node/wal/state";

struct WalOp {
  enum class Kind : uint8_t { kPut = 0, kDelete = 1 };
  Kind kind = Kind::kPut;
  StorageClass storage_class = StorageClass::kReplicated;  // never kNode
  std::string key;
  std::string value;  // barrier ciphertext; empty for kDelete
  bool operator==(const WalOp&) const = default;
};

struct WalEntry {
  uint64_t index = 0;
  uint64_t commit_time_ms = 0;  // Unix milliseconds on the writing node
  std::string prev_hash;        // 32 bytes; all zero before index 1
  std::vector<WalOp> ops;
  std::string hash;             // 32 bytes: SHA-256(prev_hash || body)
  bool operator==(const WalEntry&) const = default;
};

// 32 zero bytes: the chain hash "at index 0", before the first entry.
std::string WalGenesisHash();

// "node/wal/entry/000000000000002a" for 42.
std::string WalEntryKey(uint64_t index);

// The bytes the entry's hash covers: prev_hash, then the body (index, commit
// time, ops), in one allocation. A record is these bytes and the hash.
std::string WalHashedBytes(const WalEntry& entry);
// Fills entry.hash from prev_hash and the body, and returns the full record.
// REQUIRES: entry.prev_hash is 32 bytes.
std::string SealWalEntry(WalEntry& entry);
// Parses and checks a record: lengths, version, kinds, classes, and that the
// stored hash equals SHA-256(prev_hash || body). kCorruption otherwise.
Result<WalEntry> DecodeWalEntry(std::string_view record);

// Checks that `entries` are consecutive and each links to the one before,
// the first to (start_index, start_hash). kCorruption naming the first
// index that does not.
Status VerifyWalChain(uint64_t start_index, std::string_view start_hash,
                      const std::vector<WalEntry>& entries);

// The log's position and retention bookkeeping, stored at kWalStateKey.
struct WalState {
  uint64_t first_index = 1;  // oldest retained entry; last_index + 1 when empty
  uint64_t last_index = 0;
  std::string last_hash = WalGenesisHash();
  uint64_t retained_bytes = 0;  // sum of the stored record sizes
  bool operator==(const WalState&) const = default;
};

std::string EncodeWalState(const WalState& state);
Result<WalState> DecodeWalState(std::string_view bytes);

// Where this cluster stands in an upstream (primary) cluster's WAL: the last
// upstream entry applied here. Stored in the same physical batch as the data it
// describes, as plaintext metadata of the local class (a DR replica of this
// cluster has it too), never through the barrier.
struct UpstreamPosition {
  uint64_t index = 0;           // last upstream WAL index applied (0 = none)
  std::string hash;             // its chain hash (32 bytes; WalGenesisHash() at 0)
  uint64_t commit_time_ms = 0;  // the upstream entry's commit time
  bool operator==(const UpstreamPosition&) const = default;
};

inline constexpr std::string_view kUpstreamPrefix = "replication/upstream/";
// "replication/upstream/<name>"; name: "performance" | "dr".
std::string UpstreamPositionKey(std::string_view name);
// version(1)=1 || index(u64) || hash(32) || commit_time_ms(u64).
// REQUIRES: position.hash is 32 bytes.
std::string EncodeUpstreamPosition(const UpstreamPosition& position);
Result<UpstreamPosition> DecodeUpstreamPosition(std::string_view bytes);

}  // namespace coffer::storage
