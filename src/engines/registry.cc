#include "engines/registry.h"

#include "engines/cubbyhole.h"
#include "engines/database.h"
#include "engines/kv_v1.h"
#include "engines/kv_v2.h"
#include "engines/kv_v2_model.h"

namespace coffer::engines {

Result<int> KvVersion(const MountEntry& mount) {
  if (!mount.options.is_object()) return 1;
  auto it = mount.options.find("version");
  if (it == mount.options.end() || it->is_null()) return 1;
  std::string version;
  if (it->is_string()) {
    version = it->get<std::string>();
  } else if (it->is_number_integer() || it->is_number_unsigned()) {
    version = it->dump();
  } else {
    return InvalidArgument("invalid kv version: expected \"1\" or \"2\", got a " +
                           std::string(it->type_name()));
  }
  if (version.empty() || version == "1") return 1;
  if (version == "2") return 2;
  return InvalidArgument("invalid kv version \"" + version + "\": expected \"1\" or \"2\"");
}

Result<EnginePtr> NewSecretsEngine(const MountEntry& mount) {
  if (mount.type == "kv") {
    ASSIGN_OR_RETURN(int version, KvVersion(mount));
    return version == 2 ? NewKvV2Engine() : NewKvV1Engine();
  }
  if (mount.type == "kv-v2") return NewKvV2Engine();
  if (mount.type == "generic") return NewKvV1Engine();
  if (mount.type == "cubbyhole") return NewCubbyholeEngine();
  if (mount.type == "database") return NewDatabaseEngine();
  return InvalidArgument("plugin not found in the catalog: " + mount.type);
}

std::vector<std::string> NonSecretHotPrefixes(const MountEntry& mount) {
  if (mount.is_auth) return {};
  bool v2 = mount.type == "kv-v2";
  if (mount.type == "kv") {
    Result<int> version = KvVersion(mount);
    v2 = version.ok() && *version == 2;
  }
  if (!v2) return {};
  return {std::string(kv2::kMetadataPrefix), std::string(kv2::kConfigKey)};
}

void ForgetDecodedRecords() { kv2::ForgetDecodedRecords(); }

bool IsKnownSecretsEngine(const std::string& type) {
  return type == "kv" || type == "kv-v2" || type == "generic" || type == "cubbyhole" ||
         type == "database";
}

}  // namespace coffer::engines
