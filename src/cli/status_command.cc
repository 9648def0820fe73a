// `coffer status`: seal status plus HA status. Exit 0 unsealed, 2 sealed,
// 1 on any error (so scripts can tell "sealed" from "unreachable").
#include <ostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reply_fields.h"
#include "cli/seal_status_view.h"

namespace coffer::cli {
namespace {

constexpr char kUsage[] =
    "Usage: coffer status [options]\n"
    "\n"
    "  Prints whether the server is initialized and sealed, its seal configuration,\n"
    "  version and HA state. No token is needed.\n"
    "\n"
    "  Exit codes: 0 unsealed, 2 sealed, 1 error.\n";

}  // namespace

int RunStatus(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUsage);
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);

  Result<Json> seal = client->Call("GET", "sys/seal-status");
  if (!seal.ok()) return inv.Fail("Error checking seal status", seal.status(), 1);

  // A sealed HA node answers sys/leader with 503; that only means "no HA info".
  Json leader = {{"ha_enabled", false}};
  Result<ApiResponse> leader_resp = client->Send("GET", "sys/leader");
  if (!leader_resp.ok()) return inv.Fail("Error checking leader status", leader_resp.status(), 1);
  if (leader_resp->status < 400) {
    if (leader_resp->body.is_object()) leader = leader_resp->body;
  } else if (leader_resp->status != 503) {
    Status err(CodeForHttpStatus(leader_resp->status),
               FormatApiError("GET", client->Url("sys/leader"), leader_resp->status,
                              leader_resp->raw_body));
    return inv.Fail("Error checking leader status", err, 1);
  }

  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(SealStatusJson(*seal, leader));
  } else {
    inv.out() << FormatTable(SealStatusRows(*seal, leader));
  }
  bool sealed = BoolField(*seal, "sealed", true);
  return sealed ? kExitRemoteError : kExitOk;
}

}  // namespace coffer::cli
