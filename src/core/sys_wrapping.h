// sys/wrapping/* (relative to the sys/ mount):
//
//   wrapping/wrap     write any data: answered wrapped (needs X-Vault-Wrap-TTL)
//   wrapping/unwrap   write {token}? : the wrapped response, once
//   wrapping/lookup   write {token}? : creation_path, creation_time,
//                     creation_ttl; open (no token needed), uses nothing up
//   wrapping/rewrap   write {token}? : the same response under a new token
//
// Without a body token, the client token is the wrapping token. See
// wrapping.h for what a wrapping token is.
//
// Thread-safety: the handlers keep no state; the Core outlives the paths.
#pragma once

#include <vector>

#include "engines/framework.h"

namespace coffer::core {

class Core;

std::vector<framework::Path> SysWrappingPaths(Core& core);

}  // namespace coffer::core
