// `coffer operator key-status` (GET sys/key-status) and
// `coffer operator rotate` (PUT sys/rotate, then the new key status).
#include <ostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reply_fields.h"

namespace coffer::cli {
namespace {

constexpr char kKeyStatusUsage[] =
    "Usage: coffer operator key-status [options]\n"
    "\n"
    "  Shows the term of the barrier encryption key in use, when it was installed and\n"
    "  how many encryptions it has performed. Needs a token.\n";

constexpr char kRotateUsage[] =
    "Usage: coffer operator rotate [options]\n"
    "\n"
    "  Installs a new barrier encryption key (the term goes up by one). New writes use\n"
    "  it; older keys stay available to decrypt existing data. The unseal keys do not\n"
    "  change. Needs a token with sudo on sys/rotate (a root token).\n";

std::vector<Row> KeyStatusRows(const Json& data) {
  return {{"Key Term", std::to_string(IntField(data, "term"))},
          {"Install Time", StringField(data, "install_time")},
          {"Encryption Count", std::to_string(IntField(data, "encryptions"))}};
}

}  // namespace

int RunOperatorKeyStatus(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kKeyStatusUsage);
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> resp = client->Call("GET", "sys/key-status");
  if (!resp.ok()) return inv.Fail("Error reading key status", resp.status());
  const Json& data = DataOf(*resp);
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(data);
  } else {
    inv.out() << FormatTable(KeyStatusRows(data));
  }
  return kExitOk;
}

int RunOperatorRotate(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kRotateUsage);
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> rotated = client->Call("PUT", "sys/rotate");
  if (!rotated.ok()) return inv.Fail("Error rotating key", rotated.status());
  Result<Json> resp = client->Call("GET", "sys/key-status");
  if (!resp.ok()) return inv.Fail("Error reading key status", resp.status());
  const Json& data = DataOf(*resp);
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(data);
  } else {
    inv.out() << "Success! Rotated key\n\n" << FormatTable(KeyStatusRows(data), false);
  }
  return kExitOk;
}

}  // namespace coffer::cli
