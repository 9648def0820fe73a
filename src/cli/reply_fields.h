// Tolerant field access for JSON replies from the server.
//
// A client must not crash on a malformed reply, and nlohmann's value()
// throws when a field has an unexpected type. These return the fallback for
// a missing field, a field of another type, or a non-object.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "coffer/json.h"

namespace coffer::cli {

inline bool BoolField(const Json& obj, const char* key, bool fallback = false) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

inline long long IntField(const Json& obj, const char* key, long long fallback = 0) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return fallback;
  if (it->is_number_float()) {  // out-of-range float -> integer conversion is undefined
    double d = it->get<double>();
    return d > -9.2e18 && d < 9.2e18 ? static_cast<long long>(d) : fallback;
  }
  if (it->is_number_unsigned() && it->get<unsigned long long>() > 9223372036854775807ULL) {
    return fallback;
  }
  return it->get<long long>();
}

inline std::string StringField(const Json& obj, const char* key, std::string fallback = "") {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// obj[key], or a null value when obj is not an object or has no such key.
inline const Json& Member(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}
inline const Json& Member(const Json& obj, const std::string& key) {
  return Member(obj, key.c_str());
}

// The "data" object of a response envelope, or the reply itself when it has
// none (plain-JSON sys endpoints).
inline const Json& DataOf(const Json& reply) {
  if (reply.is_object()) {
    auto it = reply.find("data");
    if (it != reply.end() && it->is_object()) return *it;
  }
  return reply;
}

}  // namespace coffer::cli
