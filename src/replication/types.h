// The two replication types and the role a cluster holds in each.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string_view>

namespace coffer::replication {

enum class Type { kPerformance, kDr };

// "performance" / "dr": the path segment, the storage name and the status key.
std::string_view TypeName(Type t);
std::optional<Type> ParseType(std::string_view name);

// What status reports as `mode`.
enum class Mode { kDisabled, kPrimary, kSecondary, kBootstrapping };
std::string_view ModeName(Mode m);

}  // namespace coffer::replication
