#include "auth/password_hash.h"

#include <string>

#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/random.h"

namespace coffer::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

}  // namespace

Result<Json> HashPassword(std::string_view password, const ScryptParams& params) {
  ASSIGN_OR_RETURN(std::string salt, crypto::RandomBytes(kSaltBytes));
  ASSIGN_OR_RETURN(std::string hash,
                   crypto::Scrypt(password, salt, params.n, params.r, params.p, kHashBytes));
  return Json{{"alg", "scrypt"},
              {"n", params.n},
              {"r", params.r},
              {"p", params.p},
              {"salt", crypto::Base64Encode(salt)},
              {"hash", crypto::Base64Encode(hash)}};
}

Result<bool> VerifyPassword(std::string_view password, const Json& stored) {
  ScryptParams params;
  std::string salt_b64;
  std::string hash_b64;
  try {
    if (stored.at("alg").get<std::string>() != "scrypt") {
      return Corruption("stored password hash: unknown algorithm");
    }
    params.n = stored.at("n").get<uint64_t>();
    params.r = stored.at("r").get<uint32_t>();
    params.p = stored.at("p").get<uint32_t>();
    salt_b64 = stored.at("salt").get<std::string>();
    hash_b64 = stored.at("hash").get<std::string>();
  } catch (const Json::exception&) {
    return Corruption("stored password hash is malformed");
  }
  auto salt = crypto::Base64Decode(salt_b64);
  auto want = crypto::Base64Decode(hash_b64);
  if (!salt.ok() || !want.ok() || want->empty()) {
    return Corruption("stored password hash is malformed");
  }
  auto got = crypto::Scrypt(password, *salt, params.n, params.r, params.p, want->size());
  if (!got.ok()) return Corruption("stored password hash has unusable parameters");
  return crypto::ConstantTimeEqual(*got, *want);
}

void DummyVerify(std::string_view password, const ScryptParams& params) {
  static const std::string kSalt(kSaltBytes, 'x');
  auto got = crypto::Scrypt(password, kSalt, params.n, params.r, params.p, kHashBytes);
  // Compare against a fixed value so the work matches a real verification.
  static const std::string kWant(kHashBytes, '\0');
  if (got.ok()) (void)crypto::ConstantTimeEqual(*got, kWant);
}

}  // namespace coffer::auth
