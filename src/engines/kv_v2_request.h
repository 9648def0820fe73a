// kv_v2_request: request-field parsing and checks shared by the KV v2
// handlers, with the exact error texts clients see.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "engines/kv_v2_model.h"

namespace coffer::engines::kv2 {

// A path that can hold a secret: non-empty, not ending in '/'.
bool IsSecretPath(const std::string& path);
// InvalidArgument unless IsSecretPath(path).
Status CheckSecretPath(const std::string& path);

// The "data" object of a data write or patch. Absent or null: 400 "no data
// provided"; any other non-object: 400. The value is never echoed back.
Result<Json> DataField(const Json& body);

// options.cas: nullopt when options or cas is absent; 400 "error parsing
// check-and-set parameter" when cas is not an integer.
Result<std::optional<int64_t>> CasOption(const Json& body);

// CAS rules of a write: a given cas must equal the current version (0: the
// secret has no version yet); without one, cas_required on the mount or the
// key refuses the write.
Status CheckCas(std::optional<int64_t> cas, const Config& config, const Metadata& meta);

// The "version" query/body field: 0 (latest) when absent; negative is 400.
Result<int64_t> VersionParam(const Json& body);

// The "versions" field of delete/undelete/destroy: a list of integers, a
// comma-separated string, or one number. Empty or absent: 400 "no version
// number provided"; negative or non-integer items: 400.
Result<std::vector<int64_t>> VersionsField(const Json& body);

// Checks custom_metadata against the limits: at most 64 keys, keys of 1..128
// bytes, values of at most 512 bytes, no control characters.
Status ValidateCustomMetadata(const std::map<std::string, std::string>& custom);

// A 404 that still carries `data` in the envelope (deleted or destroyed
// versions).
Response NotFoundWithData(Json data);

}  // namespace coffer::engines::kv2
