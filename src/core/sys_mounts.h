// sys/ paths that manage the mount tables: sys/mounts, sys/auth, their tune
// endpoints, sys/remount, and sys/internal/ui/mounts (the vault CLI's kv
// preflight).
#pragma once

#include <vector>

#include "engines/framework.h"

namespace coffer::core {

class Core;

// Paths relative to the sys/ mount.
std::vector<framework::Path> SysMountPaths(Core& core);

// The public JSON of a mount entry, as sys/mounts lists it.
Json MountInfoJson(const MountEntry& e);

}  // namespace coffer::core
