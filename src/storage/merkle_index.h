// Merkle index format: a per-class, bucketed hash index over
// (key, SHA-256 of the stored value). docs/formats/merkle.md is the normative
// description; this file implements it.
//
//   node/merkle/<class>/leaf/<bbb>/<key>  SHA-256(value), 32 bytes
//
// Bucket hashes are kept in memory only, XORed up from the leaves on load.
//
// <class> is "replicated" or "local"; <bbb> is the bucket number in 3
// lower-case hex digits: the first 12 bits of SHA-256(key).
// leaf hash   = SHA-256(u32 len(key) || key || SHA-256(value))
// bucket hash = XOR of the leaf hashes of its keys (zero when empty), so a put
//               or delete updates it in O(1) and the order of writes does not
//               matter
// root        = SHA-256(bucket 0 || bucket 1 || ... || bucket 4095)
//
// Thread-safety: pure functions; MerkleTree is a plain value (callers lock).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage_class.h"

namespace coffer::storage {

inline constexpr uint32_t kMerkleBuckets = 4096;
inline constexpr size_t kMerkleHashSize = 32;

uint32_t MerkleBucketOf(std::string_view key);
// The first 16 bytes of SHA-256(key): how the in-memory leaf index names a
// key (storage/leaf_index.h).
using MerkleKeyDigest = std::array<char, 16>;
// The bucket and the digest of a key, from one SHA-256.
struct MerkleKey {
  uint32_t bucket = 0;
  MerkleKeyDigest digest{};
};
MerkleKey MerkleKeyOf(std::string_view key);
// SHA-256(u32 len(key) || key || value_hash).
std::string MerkleLeafHash(std::string_view key, std::string_view value_hash);

std::string MerkleClassPrefix(StorageClass c);  // "node/merkle/replicated/"
std::string MerkleLeafPrefix(StorageClass c, uint32_t bucket);  // ".../leaf/0a3/"
std::string MerkleLeafKey(StorageClass c, std::string_view key);
inline constexpr std::string_view kMerklePrefix = "node/merkle/";

// XORs b into a; both kMerkleHashSize bytes.
void XorInto(std::string& a, std::string_view b);

// The bucket hashes of one class.
struct MerkleTree {
  std::vector<std::string> buckets =
      std::vector<std::string>(kMerkleBuckets, std::string(kMerkleHashSize, '\0'));
  std::string Root() const;
};

}  // namespace coffer::storage
