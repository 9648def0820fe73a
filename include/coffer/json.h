// The JSON value type used across Coffer (nlohmann::json, ordered keys not
// needed). Kept in one header so the choice can change in one place.
#pragma once

#include <nlohmann/json.hpp>

namespace coffer {
using Json = nlohmann::json;
}  // namespace coffer
