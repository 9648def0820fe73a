// Byte-level encoding of stored records: fixed-width big-endian integers,
// LEB128 varints (zigzag for signed values), and a bounds-checked reader
// over untrusted bytes.
//
//   std::string out;
//   PutU8(out, 1);
//   PutVarint(out, n);
//   PutSignedVarint(out, unix_nanos);
//   ByteReader r(out);
//   uint8_t v; uint64_t n; int64_t t;
//   if (!r.U8(&v) || !r.Varint(&n) || !r.SignedVarint(&t)) { /* truncated */ }
//
// Every Reader method returns false, consuming nothing, when the bytes end
// too early or a varint runs past 10 bytes; callers turn that into a
// Corruption status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coffer {

inline void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
// Zigzag: small magnitudes of either sign take few bytes.
inline void PutSignedVarint(std::string& out, int64_t v) {
  PutVarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
// A varint length, then the bytes.
inline void PutLengthPrefixed(std::string& out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out.append(bytes);
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool U8(uint8_t* v) {
    if (data_.empty()) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t wide = 0;
    if (!Fixed(4, &wide)) return false;
    *v = static_cast<uint32_t>(wide);
    return true;
  }
  bool U64(uint64_t* v) { return Fixed(8, v); }
  bool Varint(uint64_t* v) {
    uint64_t out = 0;
    for (size_t i = 0; i < data_.size() && i < 10; ++i) {
      const auto byte = static_cast<uint8_t>(data_[i]);
      if (i == 9 && byte > 1) return false;  // past 64 bits
      out |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        data_.remove_prefix(i + 1);
        *v = out;
        return true;
      }
    }
    return false;
  }
  bool SignedVarint(int64_t* v) {
    uint64_t z = 0;
    if (!Varint(&z)) return false;
    *v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (data_.size() < n) return false;
    out->assign(data_.substr(0, n));
    data_.remove_prefix(n);
    return true;
  }
  bool LengthPrefixed(std::string* out) {
    ByteReader saved = *this;
    uint64_t n = 0;
    if (Varint(&n) && n <= data_.size()) return Bytes(static_cast<size_t>(n), out);
    *this = saved;
    return false;
  }
  bool Empty() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }

 private:
  bool Fixed(size_t n, uint64_t* v) {
    if (data_.size() < n) return false;
    uint64_t out = 0;
    for (size_t i = 0; i < n; ++i) out = (out << 8) | static_cast<uint8_t>(data_[i]);
    data_.remove_prefix(n);
    *v = out;
    return true;
  }
  std::string_view data_;
};

}  // namespace coffer
