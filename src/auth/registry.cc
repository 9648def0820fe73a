#include "auth/registry.h"

#include <functional>
#include <map>

#include "auth/approle.h"
#include "auth/userpass.h"

namespace coffer::auth {
namespace {

using Factory = std::function<EnginePtr()>;

const std::map<std::string, Factory>& Factories() {
  static const std::map<std::string, Factory> kFactories = {
      {"approle", [] { return NewAppRole(); }},
      {"userpass", [] { return NewUserpass(); }},
  };
  return kFactories;
}

}  // namespace

Result<EnginePtr> NewAuthMethod(const MountEntry& mount) {
  auto it = Factories().find(mount.type);
  if (it == Factories().end()) {
    return InvalidArgument("plugin not found in the catalog: " + mount.type.substr(0, 64));
  }
  return it->second();
}

bool IsKnownAuthMethod(const std::string& type) { return Factories().count(type) > 0; }

}  // namespace coffer::auth
