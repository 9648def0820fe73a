// `coffer operator unseal` (PUT sys/unseal, one share per run) and
// `coffer operator seal` (PUT sys/seal, needs a root-capable token).
#include <openssl/crypto.h>

#include <ostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/seal_status_view.h"

namespace coffer::cli {
namespace {

constexpr char kUnsealUsage[] =
    "Usage: coffer operator unseal [options] [KEY]\n"
    "\n"
    "  Submits one unseal key share. Run it once per share until the threshold is\n"
    "  reached. Without KEY the share is read from stdin (not echoed on a terminal),\n"
    "  which keeps it out of the shell history. -reset discards the shares submitted\n"
    "  so far. Prints the seal status afterwards.\n";

constexpr char kSealUsage[] =
    "Usage: coffer operator seal [options]\n"
    "\n"
    "  Seals the server: the encryption key is dropped from memory and every request\n"
    "  except status and unseal is refused until a quorum unseals it again. Needs a\n"
    "  token with sudo on sys/seal (a root token).\n";

}  // namespace

int RunOperatorUnseal(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUnsealUsage);
  bool reset = false;
  bool migrate = false;
  inv.flags().Bool("reset", &reset, "Discard the unseal key shares submitted so far.");
  inv.flags().Bool("migrate", &migrate, "Mark the share as part of a seal migration.");
  if (auto exit = inv.Parse(args, 0, 1)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);

  Json body;
  if (reset) {
    body = {{"reset", true}};
  } else {
    std::string key;
    if (!inv.positional().empty()) {
      key = inv.positional()[0];
    } else {
      if (!ctx.read_secret) return inv.Fail("Error reading unseal key", Internal("no stdin"), 1);
      Result<std::string> read = ctx.read_secret("Unseal Key (will be hidden): ");
      if (!read.ok()) return inv.Fail("Error reading unseal key", read.status(), 1);
      key = std::move(read).value();
    }
    if (key.empty()) return inv.UsageError("Missing unseal key");
    body = {{"key", key}};
    OPENSSL_cleanse(key.data(), key.size());
  }
  if (migrate) body["migrate"] = true;

  Result<Json> resp = client->Call("PUT", "sys/unseal", body);
  if (body.contains("key")) {
    std::string& sent = body["key"].get_ref<std::string&>();
    OPENSSL_cleanse(sent.data(), sent.size());
  }
  if (!resp.ok()) return inv.Fail("Error unsealing", resp.status());

  Json no_ha = {{"ha_enabled", false}};
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(SealStatusJson(*resp, no_ha));
  } else {
    inv.out() << FormatTable(SealStatusRows(*resp, no_ha));
  }
  return kExitOk;
}

int RunOperatorSeal(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kSealUsage);
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> resp = client->Call("PUT", "sys/seal");
  if (!resp.ok()) return inv.Fail("Error sealing", resp.status());
  inv.out() << "Success! Vault is sealed.\n";
  return kExitOk;
}

}  // namespace coffer::cli
