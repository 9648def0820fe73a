#include "engines/stored_json.h"

#include "common/json_util.h"

namespace coffer::engines {

std::string DumpJson(const Json& value) { return DumpJsonCompact(value); }

Result<Json> ParseStoredJson(std::string_view bytes, std::string_view what) {
  Json parsed = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Corruption("stored " + std::string(what) + " is not valid JSON");
  }
  return parsed;
}

}  // namespace coffer::engines
