#include "core/sys_replication.h"

#include "core/core.h"

namespace coffer::core {
namespace {

constexpr char kUnsupported[] = "unsupported path";

// Vault's answer of a cluster with no replication of either kind.
Json DisabledStatus(const std::string& path) {
  if (path == "sys/replication/status") {
    return Json{{"dr", {{"mode", "disabled"}}}, {"performance", {{"mode", "disabled"}}}};
  }
  return Json{{"mode", "disabled"}};
}

}  // namespace

Status DrSecondaryPathDisabled() {
  return InvalidArgument("path disabled in replication DR secondary mode");
}

Result<Response> HandleReplicationStatus(Core& core, const Request& req, const TokenEntry*) {
  if (req.operation != Operation::kRead) return Unsupported();
  const ReplicationHooks& hooks = core.replication_hooks();
  if (hooks.handle_sys) return hooks.handle_sys(req, nullptr);
  return Response::Data(DisabledStatus(req.path));
}

std::vector<framework::Path> SysReplicationPaths(Core& core) {
  Core* c = &core;
  framework::Handler handle = [c](const EngineRequest& req,
                                  const framework::Params&) -> Result<Response> {
    const ReplicationHooks& hooks = c->replication_hooks();
    if (!hooks.handle_sys || req.original == nullptr) return NotFound(kUnsupported);
    return hooks.handle_sys(*req.original, req.caller);
  };
  framework::Path path{.pattern = "replication/*rest",
                       .operations = {{Operation::kRead, handle},
                                      {Operation::kList, handle},
                                      {Operation::kCreate, handle},
                                      {Operation::kUpdate, handle},
                                      {Operation::kDelete, handle}},
                       .help = "Performance and DR replication (served by the replication "
                               "module)."};
  return {std::move(path)};
}

}  // namespace coffer::core
