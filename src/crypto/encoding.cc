#include "crypto/encoding.h"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>

namespace coffer::crypto {
namespace {

constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr int kInvalid = -1;
constexpr int kSkip = -2;

// Reverse table: character -> 6-bit value, kInvalid or kSkip.
std::array<int, 256> MakeReverse(const char* alphabet, bool skip_newlines) {
  std::array<int, 256> rev;
  rev.fill(kInvalid);
  for (int i = 0; i < 64; ++i) rev[static_cast<unsigned char>(alphabet[i])] = i;
  if (skip_newlines) {
    rev['\r'] = kSkip;
    rev['\n'] = kSkip;
  }
  return rev;
}

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

Result<std::string> Decode(std::string_view in, const std::array<int, 256>& rev) {
  // Collect the 6-bit symbols, stopping at the first '='.
  std::string symbols;
  symbols.reserve(in.size());
  size_t pos = 0;
  for (; pos < in.size(); ++pos) {
    unsigned char c = static_cast<unsigned char>(in[pos]);
    if (c == '=') break;
    int v = rev[c];
    if (v == kSkip) continue;
    if (v == kInvalid) return InvalidArgument("illegal base64 data at input byte " + std::to_string(pos));
    symbols.push_back(static_cast<char>(v));
  }
  // Padding: only '=' (and skippable characters) may follow, and it must
  // complete the last quantum exactly.
  size_t pads = 0;
  for (; pos < in.size(); ++pos) {
    unsigned char c = static_cast<unsigned char>(in[pos]);
    if (c == '=') {
      ++pads;
    } else if (rev[c] != kSkip) {
      return InvalidArgument("illegal base64 data at input byte " + std::to_string(pos));
    }
  }
  size_t rem = symbols.size() % 4;
  if (rem == 1) return InvalidArgument("illegal base64 data: truncated input");
  if (pads != 0 && (rem == 0 || pads != 4 - rem)) {
    return InvalidArgument("illegal base64 data: bad padding");
  }

  std::string out;
  out.reserve(symbols.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char s : symbols) {
    acc = (acc << 6) | static_cast<uint32_t>(s);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover (< 8) bits are dropped, as lenient decoders (Go's default) do.
  // The input may be key material: do not leave a decoded copy behind.
  OPENSSL_cleanse(symbols.data(), symbols.size());
  return out;
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 0x0f];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return InvalidArgument("hex string has odd length");
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = HexValue(static_cast<unsigned char>(text[i]));
    int lo = HexValue(static_cast<unsigned char>(text[i + 1]));
    if (hi < 0 || lo < 0) return InvalidArgument("invalid hex character");
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, true); }

std::string Base64RawEncode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, false); }

Result<std::string> Base64Decode(std::string_view text) {
  static const std::array<int, 256> kRev = MakeReverse(kStdAlphabet, /*skip_newlines=*/true);
  return Decode(text, kRev);
}

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlAlphabet, false); }

Result<std::string> Base64UrlDecode(std::string_view text) {
  static const std::array<int, 256> kRev = MakeReverse(kUrlAlphabet, /*skip_newlines=*/false);
  return Decode(text, kRev);
}

}  // namespace coffer::crypto
