#include "engines/kv_v2_request.h"

#include <charconv>

#include "common/json_util.h"

namespace coffer::engines::kv2 {
namespace {

constexpr size_t kMaxCustomMetadataKeys = 64;
constexpr size_t kMaxCustomMetadataKeyLength = 128;
constexpr size_t kMaxCustomMetadataValueLength = 512;

bool HasControlCharacter(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool ParseInt64(const std::string& s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

bool IsSecretPath(const std::string& path) { return !path.empty() && path.back() != '/'; }

Status CheckSecretPath(const std::string& path) {
  if (path.empty()) return InvalidArgument("missing path");
  if (path.back() == '/') return InvalidArgument("path must not end with '/'");
  return Status::Ok();
}

Result<Json> DataField(const Json& body) {
  auto it = body.is_object() ? body.find("data") : body.end();
  if (!body.is_object() || it == body.end() || it->is_null()) {
    return InvalidArgument("no data provided");
  }
  if (!it->is_object()) {
    return InvalidArgument(
        std::string("error converting input for field \"data\": expected a map, got ") +
        it->type_name());
  }
  return *it;
}

Result<std::optional<int64_t>> CasOption(const Json& body) {
  auto it = body.is_object() ? body.find("options") : body.end();
  if (!body.is_object() || it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_object()) {
    return InvalidArgument(
        std::string("error converting input for field \"options\": expected a map, got ") +
        it->type_name());
  }
  auto cas = GetInt(*it, "cas");
  if (!cas.ok()) return InvalidArgument("error parsing check-and-set parameter");
  return *cas;
}

Status CheckCas(std::optional<int64_t> cas, const Config& config, const Metadata& meta) {
  if (cas) {
    if (*cas != meta.current_version) {
      return InvalidArgument("check-and-set parameter did not match the current version");
    }
    return Status::Ok();
  }
  if (config.cas_required || meta.cas_required) {
    return InvalidArgument("check-and-set parameter required for this call");
  }
  return Status::Ok();
}

Result<int64_t> VersionParam(const Json& body) {
  ASSIGN_OR_RETURN(std::optional<int64_t> version, GetInt(body, "version"));
  if (!version) return int64_t{0};
  if (*version < 0) return InvalidArgument("version must be a non-negative integer");
  return *version;
}

Result<std::vector<int64_t>> VersionsField(const Json& body) {
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> items, GetStringList(body, "versions"));
  if (!items || items->empty()) return InvalidArgument("no version number provided");
  std::vector<int64_t> out;
  out.reserve(items->size());
  for (const std::string& item : *items) {
    int64_t n = 0;
    if (!ParseInt64(item, &n)) {
      return InvalidArgument("error converting input for field \"versions\": \"" + item +
                             "\" is not an integer");
    }
    if (n < 0) return InvalidArgument("version numbers must be non-negative");
    out.push_back(n);
  }
  return out;
}

Status ValidateCustomMetadata(const std::map<std::string, std::string>& custom) {
  if (custom.size() > kMaxCustomMetadataKeys) {
    return InvalidArgument("custom_metadata has " + std::to_string(custom.size()) +
                           " keys; at most " + std::to_string(kMaxCustomMetadataKeys) +
                           " are allowed");
  }
  for (const auto& [k, v] : custom) {
    if (k.empty() || k.size() > kMaxCustomMetadataKeyLength) {
      return InvalidArgument("custom_metadata keys must be 1 to " +
                             std::to_string(kMaxCustomMetadataKeyLength) + " bytes long");
    }
    if (v.size() > kMaxCustomMetadataValueLength) {
      return InvalidArgument("custom_metadata value of \"" + k + "\" is longer than " +
                             std::to_string(kMaxCustomMetadataValueLength) + " bytes");
    }
    if (HasControlCharacter(k) || HasControlCharacter(v)) {
      return InvalidArgument("custom_metadata keys and values must be printable");
    }
  }
  return Status::Ok();
}

Response NotFoundWithData(Json data) {
  Response r = Response::Data(std::move(data));
  r.status = 404;
  return r;
}

}  // namespace coffer::engines::kv2
