// Storage keys of the token store, in one place (layout: token_store.h).
//
// Thread-safety: constants and pure functions.
// Invariant: a hash is 64 lower-case hex characters, so keys built from one
// never contain '/' and never escape their prefix.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace coffer::core::tokenkeys {

inline constexpr std::string_view kSalt = "sys/token/salt";
inline constexpr std::string_view kIdPrefix = "sys/token/id/";
inline constexpr std::string_view kAccessorPrefix = "sys/token/accessor/";
inline constexpr std::string_view kParentPrefix = "sys/token/parent/";
inline constexpr std::string_view kRolePrefix = "sys/token/roles/";
// Associated data bound into every batch token's ciphertext.
inline constexpr std::string_view kBatchContext = "sys/token/batch";

inline bool ValidHash(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

inline bool ValidRoleName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos;
}

inline std::string Id(std::string_view hash) { return std::string(kIdPrefix) + std::string(hash); }
inline std::string Accessor(std::string_view accessor) {
  return std::string(kAccessorPrefix) + std::string(accessor);
}
inline std::string Children(std::string_view parent_hash) {
  return std::string(kParentPrefix) + std::string(parent_hash) + "/";
}
inline std::string Child(std::string_view parent_hash, std::string_view child_hash) {
  return Children(parent_hash) + std::string(child_hash);
}
inline std::string Role(std::string_view name) {
  return std::string(kRolePrefix) + std::string(name);
}

}  // namespace coffer::core::tokenkeys
