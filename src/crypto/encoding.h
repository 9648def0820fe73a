// Byte-string encodings: hex and base64 (standard and URL alphabets).
//
// Thread-safety: pure functions.
// Invariants: encoders never fail. Decoders reject any character outside their
// alphabet with kInvalidArgument; none of them logs its input (it may be a
// secret).
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::crypto {

// Lower-case hex.
std::string HexEncode(std::string_view bytes);
// Accepts upper and lower case; error on odd length or a non-hex character.
Result<std::string> HexDecode(std::string_view text);

// RFC 4648 standard alphabet, '=' padded.
std::string Base64Encode(std::string_view bytes);
// Standard alphabet, with or without '=' padding. '\r' and '\n' are skipped
// (so MIME-wrapped output of base64(1) decodes, as Go's decoder allows);
// any other character outside the alphabet is an error, as is misplaced or
// excess padding or a length that no encoding can produce.
Result<std::string> Base64Decode(std::string_view text);
// Standard alphabet, no padding.
std::string Base64RawEncode(std::string_view bytes);

// RFC 4648 URL-safe alphabet ('-', '_'), no padding (JWT style).
std::string Base64UrlEncode(std::string_view bytes);
// URL-safe alphabet; trailing '=' padding is tolerated; no whitespace.
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace coffer::crypto
