#include "storage/merkle_index.h"

#include <algorithm>
#include <cstdio>

#include "crypto/hash.h"

namespace coffer::storage {

MerkleKey MerkleKeyOf(std::string_view key) {
  const std::string h = crypto::Sha256(key);
  MerkleKey out;
  out.bucket = (static_cast<uint32_t>(static_cast<uint8_t>(h[0])) << 4) |
               (static_cast<uint32_t>(static_cast<uint8_t>(h[1])) >> 4);
  std::copy_n(h.data(), out.digest.size(), out.digest.data());
  return out;
}

uint32_t MerkleBucketOf(std::string_view key) { return MerkleKeyOf(key).bucket; }

std::string MerkleLeafHash(std::string_view key, std::string_view value_hash) {
  std::string input;
  input.reserve(4 + key.size() + value_hash.size());
  const auto len = static_cast<uint32_t>(key.size());
  for (int shift = 24; shift >= 0; shift -= 8) input.push_back(static_cast<char>((len >> shift) & 0xff));
  input += key;
  input += value_hash;
  return crypto::Sha256(input);
}

std::string MerkleClassPrefix(StorageClass c) {
  return std::string(kMerklePrefix) + std::string(StorageClassName(c)) + "/";
}

namespace {
std::string BucketHex(uint32_t bucket) {
  char hex[4];
  std::snprintf(hex, sizeof(hex), "%03x", bucket & 0xfff);
  return hex;
}
}  // namespace

std::string MerkleLeafPrefix(StorageClass c, uint32_t bucket) {
  return MerkleClassPrefix(c) + "leaf/" + BucketHex(bucket) + "/";
}

std::string MerkleLeafKey(StorageClass c, std::string_view key) {
  return MerkleLeafPrefix(c, MerkleBucketOf(key)) + std::string(key);
}

void XorInto(std::string& a, std::string_view b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] = static_cast<char>(a[i] ^ b[i]);
}

std::string MerkleTree::Root() const {
  std::string all;
  all.reserve(buckets.size() * kMerkleHashSize);
  for (const std::string& b : buckets) all += b;
  return crypto::Sha256(all);
}

}  // namespace coffer::storage
