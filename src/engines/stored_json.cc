#include "engines/stored_json.h"

namespace coffer::engines {

Result<Json> ParseStoredJson(std::string_view bytes, std::string_view what) {
  Json parsed = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Corruption("stored " + std::string(what) + " is not valid JSON");
  }
  return parsed;
}

}  // namespace coffer::engines
