// Cryptographically secure randomness (OpenSSL's RAND_bytes, the process DRBG;
// draws of up to 64 bytes through a per-thread pool, see random.cc).
//
// Thread-safety: every function may be called concurrently from any thread.
// Invariants: RandomBytes/RandomUint64 report a DRBG failure as an error.
// RandomUuid/RandomBase62 return plain strings because their callers mint
// identifiers on paths where an error has nowhere useful to go; if the DRBG
// ever fails they log and abort rather than hand out a predictable identifier
// (a "cannot happen" on a healthy OpenSSL 3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::crypto {

// n random bytes (std::string used as a byte buffer).
Result<std::string> RandomBytes(size_t n);

// A version-4 UUID in lower-case canonical form, e.g.
// "3f2b8c1e-9a4d-4e6f-8b1a-0c2d3e4f5a6b".
std::string RandomUuid();

// n characters drawn uniformly from [0-9A-Za-z] (rejection sampling, no
// modulo bias).
std::string RandomBase62(size_t n);

// n characters drawn uniformly from `alphabet` (1 to 256 symbols; an empty
// or longer alphabet gives ""), by the same rejection sampling.
std::string RandomString(size_t n, std::string_view alphabet);

// A uniformly random 64-bit value.
Result<uint64_t> RandomUint64();

}  // namespace coffer::crypto
