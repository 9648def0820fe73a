// The client half of the generate-root one-time-password scheme.
//
// The server hands back encoded_token = base64(token XOR otp), without
// padding, where otp is the 28-character base62 string the operator received
// from "-init" (or generated with "-generate-otp"). Decoding needs nothing
// but those two strings, so it runs locally.
//
// Thread-safety: pure functions (GenerateOtp reads the process DRBG).
// Invariants: neither function logs its inputs or outputs.
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::cli {

inline constexpr size_t kRootTokenOtpLength = 28;

// A fresh 28-character base62 OTP.
std::string GenerateOtp();

// base64 (padded or not) -> bytes XOR otp. The decoded length must equal the
// OTP length; otherwise, or on bad base64, InvalidArgument.
Result<std::string> DecodeRootToken(std::string_view encoded, std::string_view otp);

// The inverse, for tests and for checking the scheme: base64 without padding
// of token XOR otp. Lengths must be equal.
Result<std::string> EncodeRootToken(std::string_view token, std::string_view otp);

}  // namespace coffer::cli
