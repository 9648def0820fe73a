// stored_json: how engines turn JSON into stored bytes and back.
//
// Every engine in this module keeps its records as compact JSON text. Dumping
// goes through DumpJsonCompact (common/json_util.h: strings that are not valid
// UTF-8 are replaced rather than thrown on) and parsing through
// ParseStoredJson, so no nlohmann exception can escape an engine: bad bytes
// on disk become kCorruption.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"
#include "common/json_util.h"  // DumpJsonCompact, for the stored side

namespace coffer::engines {

// Parses bytes read from storage. `what` names the record in the error
// ("kv v2 metadata"); it must not contain secret material.
Result<Json> ParseStoredJson(std::string_view bytes, std::string_view what);

}  // namespace coffer::engines
