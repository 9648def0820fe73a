// stored_json: how engines turn JSON into stored bytes and back.
//
// Every engine in this module keeps its records as compact JSON text. Parsing
// and dumping go through these two functions so that no nlohmann exception
// can escape an engine: bad bytes on disk become kCorruption, and strings
// that are not valid UTF-8 are replaced rather than thrown on.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::engines {

// Compact JSON text; invalid UTF-8 in strings is replaced with U+FFFD.
std::string DumpJson(const Json& value);

// Parses bytes read from storage. `what` names the record in the error
// ("kv v2 metadata"); it must not contain secret material.
Result<Json> ParseStoredJson(std::string_view bytes, std::string_view what);

}  // namespace coffer::engines
