#include "coffer/engine.h"

namespace coffer {

std::string MountEntry::StoragePrefix() const {
  return (is_auth ? "auth/" : "logical/") + uuid + "/";
}

Json MountEntry::ToJson() const {
  return Json{{"path", path},
              {"type", type},
              {"description", description},
              {"accessor", accessor},
              {"uuid", uuid},
              {"local", local},
              {"seal_wrap", seal_wrap},
              {"external_entropy_access", external_entropy_access},
              {"is_auth", is_auth},
              {"default_lease_ttl", default_lease_ttl},
              {"max_lease_ttl", max_lease_ttl},
              {"listing_visibility", listing_visibility},
              {"options", options},
              {"extra_config", extra_config}};
}

Result<MountEntry> MountEntry::FromJson(const Json& j) {
  try {
    MountEntry m;
    m.path = j.at("path").get<std::string>();
    m.type = j.at("type").get<std::string>();
    m.description = j.value("description", "");
    m.accessor = j.at("accessor").get<std::string>();
    m.uuid = j.at("uuid").get<std::string>();
    m.local = j.value("local", false);
    m.seal_wrap = j.value("seal_wrap", false);
    m.external_entropy_access = j.value("external_entropy_access", false);
    m.is_auth = j.value("is_auth", false);
    m.default_lease_ttl = j.value("default_lease_ttl", int64_t{0});
    m.max_lease_ttl = j.value("max_lease_ttl", int64_t{0});
    m.listing_visibility = j.value("listing_visibility", "");
    m.options = j.contains("options") ? j["options"] : Json(nullptr);
    m.extra_config = j.contains("extra_config") ? j["extra_config"] : Json::object();
    return m;
  } catch (const Json::exception& e) {
    return Corruption(std::string("mount entry is unreadable: ") + e.what());
  }
}

}  // namespace coffer
