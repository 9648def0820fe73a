#include "replication/types.h"

namespace coffer::replication {

std::string_view TypeName(Type t) { return t == Type::kPerformance ? "performance" : "dr"; }

std::optional<Type> ParseType(std::string_view name) {
  if (name == "performance") return Type::kPerformance;
  if (name == "dr") return Type::kDr;
  return std::nullopt;
}

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kDisabled:
      return "disabled";
    case Mode::kPrimary:
      return "primary";
    case Mode::kSecondary:
      return "secondary";
    case Mode::kBootstrapping:
      return "bootstrapping";
  }
  return "disabled";
}

}  // namespace coffer::replication
