// sys/audit* (relative to the sys/ mount), sudo paths as in Vault:
//
//   audit              read: {"<path>/": {path, type, description, options, local}}
//   audit/*path        write {type, description?, options?, local?}: enable
//                      delete: disable (an unknown path is not an error)
//   audit-hash/*path   write {input}: {hash} as that device writes it
//
// Thread-safety: the handlers keep no state; the Core outlives the paths.
#pragma once

#include <vector>

#include "engines/framework.h"

namespace coffer::core {

class Core;

std::vector<framework::Path> SysAuditPaths(Core& core);

}  // namespace coffer::core
