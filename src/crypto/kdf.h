// Key derivation: scrypt (RFC 7914), used for password hashing (userpass).
//
// Thread-safety: pure function; safe from any thread. CPU- and memory-hard by
// design: call it off the I/O threads.
// Invariants: N is a power of two greater than 1; r, p, len are non-zero; the
// memory needed (about 128*r*(N+p) bytes) is capped at kScryptMaxMemory.
// Bad parameters are kInvalidArgument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::crypto {

inline constexpr uint64_t kScryptMaxMemory = uint64_t{1} << 30;  // 1 GiB

Result<std::string> Scrypt(std::string_view password, std::string_view salt, uint64_t N,
                           uint32_t r, uint32_t p, size_t len);

// Total work of every successful Scrypt call in this process, counted as
// N*r*p. Lets tests check deterministically that two code paths spend the
// same key-derivation cost (no timing needed).
uint64_t ScryptWorkDone();

}  // namespace coffer::crypto
