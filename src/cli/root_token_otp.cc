#include "cli/root_token_otp.h"

#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::cli {
namespace {

std::string Xor(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

std::string GenerateOtp() { return crypto::RandomBase62(kRootTokenOtpLength); }

Result<std::string> DecodeRootToken(std::string_view encoded, std::string_view otp) {
  if (otp.empty()) return InvalidArgument("the OTP is empty");
  Result<std::string> bytes = crypto::Base64Decode(encoded);
  if (!bytes.ok()) return InvalidArgument("the encoded token is not valid base64");
  if (bytes->size() != otp.size()) {
    return InvalidArgument("the encoded token is " + std::to_string(bytes->size()) +
                           " bytes but the OTP is " + std::to_string(otp.size()) +
                           " characters; was it produced with this OTP?");
  }
  return Xor(*bytes, otp);
}

Result<std::string> EncodeRootToken(std::string_view token, std::string_view otp) {
  if (token.size() != otp.size()) return InvalidArgument("token and OTP lengths differ");
  return crypto::Base64RawEncode(Xor(token, otp));
}

}  // namespace coffer::cli
