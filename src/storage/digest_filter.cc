#include "storage/digest_filter.h"

#include <cstring>

namespace coffer::storage {
namespace {

constexpr size_t kBitsPerKey = 16;
constexpr size_t kBitsPerBlock = 512;
constexpr int kBitsPerDigest = 7;  // 9 bits of the digest each

}  // namespace

DigestFilter::Bits DigestFilter::BitsOf(const MerkleKeyDigest& digest) const {
  uint64_t pick;
  uint64_t bits;
  std::memcpy(&pick, digest.data(), sizeof(pick));
  std::memcpy(&bits, digest.data() + sizeof(pick), sizeof(bits));
  Bits out{};
  // The high half of a 64x64-bit product: uniform over [0, blocks) without a
  // division or a power-of-two size.
  out.block = static_cast<size_t>(
      (static_cast<unsigned __int128>(pick) * blocks_.size()) >> 64);
  for (int i = 0; i < kBitsPerDigest; ++i) {
    const unsigned bit = static_cast<unsigned>(bits & (kBitsPerBlock - 1));
    bits >>= 9;
    out.mask[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  return out;
}

bool DigestFilter::Holds(const Block& block, const Bits& b) {
  for (size_t w = 0; w < b.mask.size(); ++w) {
    if ((block.words[w] & b.mask[w]) != b.mask[w]) return false;
  }
  return true;
}

bool DigestFilter::MayContain(const MerkleKeyDigest& digest) const {
  if (added_ == 0) return false;
  const Bits b = BitsOf(digest);
  return Holds(blocks_[b.block], b);
}

bool DigestFilter::Add(const MerkleKeyDigest& digest) {
  if (max_keys_ == 0) return false;
  if (blocks_.empty()) {
    const size_t blocks = (max_keys_ * kBitsPerKey + kBitsPerBlock - 1) / kBitsPerBlock;
    blocks_.assign(blocks, Block{});
  }
  const Bits b = BitsOf(digest);
  Block& block = blocks_[b.block];
  if (Holds(block, b)) return true;  // already claimed: nothing to count
  if (added_ == max_keys_) return false;
  for (size_t w = 0; w < b.mask.size(); ++w) block.words[w] |= b.mask[w];
  ++added_;
  return true;
}

}  // namespace coffer::storage
