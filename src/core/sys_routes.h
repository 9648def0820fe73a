// The sys/ routes served by the core: init, seal, unseal, health, leader,
// generate-root, key-status, rotate, step-down.
//
// A route is data: its path (exact, or a prefix when it ends with '*') and a
// handler. Unauthenticated routes answer in any seal state.
#pragma once

#include <string_view>
#include <vector>

#include "coffer/logical.h"
#include "coffer/status.h"
#include "engines/framework.h"

namespace coffer::core {

class Core;
struct TokenEntry;

struct SysRoute {
  std::string_view path;
  // token is null for unauthenticated routes.
  Result<Response> (*handler)(Core& core, const Request& req, const TokenEntry* token);
  // Served while the node is a DR secondary (otherwise: path disabled).
  bool on_dr_secondary = false;
};

const SysRoute* FindUnauthenticatedSysRoute(std::string_view path);

// Authenticated sys/ paths of the core itself (seal, step-down, rotate,
// key-status), relative to the sys/ mount.
std::vector<framework::Path> SysCorePaths(Core& core);

}  // namespace coffer::core
