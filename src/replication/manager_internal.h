// Small helpers shared by the manager's files (manager*.cc), not an API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "coffer/logical.h"
#include "replication/activation.h"
#include "replication/state.h"
#include "replication/types.h"

namespace coffer::replication::internal {

inline constexpr int64_t kDefaultActivationTtl = 30 * 60;
inline constexpr char kNever[] = "-62135596800";  // Go's zero time, as Vault prints "never"

inline bool IsWrite(Operation op) { return op == Operation::kCreate || op == Operation::kUpdate; }

inline Response Empty() { return Response(); }

inline Response WithWarning(std::string warning) {
  Response r;
  r.warnings.push_back(std::move(warning));
  return r;
}

// How messages name a type: "performance" / "DR".
inline std::string Kind(Type t) { return t == Type::kPerformance ? "performance" : "DR"; }

// A token pasted from a file or a terminal often ends in a newline.
std::string Trimmed(std::string s);
// RFC 3339 of a unix-millisecond time; "" for none.
std::string TimeText(int64_t unix_ms);
// "https://127.0.0.1:8201" for a bound "127.0.0.1:8201".
std::string WithScheme(const std::string& addr);
// What a secondary keeps of its activation package (not the root key).
void AdoptPackage(const ActivationPackage& pkg, SecondaryState& s);
std::optional<Operation> ParseOperation(std::string_view name);

}  // namespace coffer::replication::internal
