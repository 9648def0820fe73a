// Password hashing for userpass: scrypt with a random 16-byte salt, stored
// together with its parameters so the cost can be raised later without
// invalidating existing hashes.
//
// Stored form (a JSON object inside the user entry):
//   {"alg": "scrypt", "n": 32768, "r": 8, "p": 1,
//    "salt": "<base64>", "hash": "<base64 of 32 bytes>"}
//
// Cost: N=2^15, r=8, p=1 (32 MiB) took about 0.28 s per hash on the 2-core
// development machine; N=2^14 about 0.13 s. Login runs one hash per attempt,
// so the cost bounds login throughput per worker thread.
//
// Thread-safety: pure functions; safe from any thread. CPU-heavy: never call
// on an I/O thread.
// Invariants: a password is never logged; hashes are compared in constant
// time; parameters read back from storage are bounded by crypto::Scrypt's
// memory cap, so a damaged entry cannot make a login allocate without limit.
#pragma once

#include <cstdint>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::auth {

struct ScryptParams {
  uint64_t n = uint64_t{1} << 15;
  uint32_t r = 8;
  uint32_t p = 1;
};

// A new stored hash of `password` with a fresh random salt.
Result<Json> HashPassword(std::string_view password, const ScryptParams& params);

// Whether `password` matches `stored` (as HashPassword made it). A malformed
// stored hash is Corruption.
Result<bool> VerifyPassword(std::string_view password, const Json& stored);

// Spends the same work as VerifyPassword would with `params`, for logins of
// users that do not exist, so their timing matches a wrong password.
void DummyVerify(std::string_view password, const ScryptParams& params);

}  // namespace coffer::auth
