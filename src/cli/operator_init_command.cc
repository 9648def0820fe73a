// `coffer operator init`: PUT sys/init and show the shares and root token;
// with -status, GET sys/init (exit 0 initialized, 2 not, 1 error).
#include <ostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reply_fields.h"

namespace coffer::cli {
namespace {

constexpr char kUsage[] =
    "Usage: coffer operator init [options]\n"
    "\n"
    "  Initializes a new server: generates the root key, splits it into unseal key\n"
    "  shares with Shamir's secret sharing, and creates the initial root token.\n"
    "  Run once per cluster. With -status, only reports whether it is initialized\n"
    "  (exit 0 initialized, 2 not initialized, 1 error).\n";

std::vector<std::string> StringList(const Json& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_array()) return out;
  for (const Json& v : obj[key]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

int InitStatus(Invocation& inv, ApiClient& client) {
  Result<Json> resp = client.Call("GET", "sys/init");
  if (!resp.ok()) return inv.Fail("Error checking init status", resp.status(), 1);
  bool initialized = BoolField(*resp, "initialized");
  inv.out() << (initialized ? "Vault is initialized\n" : "Vault is not initialized\n");
  return initialized ? kExitOk : kExitRemoteError;
}

void PrintInitTable(std::ostream& out, const std::vector<std::string>& keys_b64,
                    const std::string& root_token, int shares, int threshold) {
  for (size_t i = 0; i < keys_b64.size(); ++i) {
    out << "Unseal Key " << (i + 1) << ": " << keys_b64[i] << "\n";
  }
  out << "\nInitial Root Token: " << root_token << "\n\n";
  out << "Coffer initialized with " << shares << " key shares and a key threshold of " << threshold
      << ".\n"
      << "Hand the unseal keys above to separate, trusted key holders. Each time the\n"
      << "server is sealed, restarted or stopped, " << threshold
      << " of these keys must be submitted\n"
      << "(coffer operator unseal) before it can serve requests again.\n\n"
      << "The root key is stored nowhere: if fewer than " << threshold
      << " keys survive, the data\n"
      << "can never be unsealed again.\n\n"
      << "A quorum of the existing keys can later produce a new set (rekey), and can\n"
      << "mint a new root token (coffer operator generate-root).\n";
}

}  // namespace

int RunOperatorInit(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUsage);
  int shares = 5;
  int threshold = 3;
  bool status = false;
  inv.flags().Int("key-shares", &shares, "Number of unseal key shares to create (default 5).");
  inv.flags().Int("key-threshold", &threshold,
                  "Number of shares needed to unseal (default 3); at most -key-shares.");
  inv.flags().Bool("status", &status,
                   "Only print whether the server is initialized; exit 0 if so, 2 if not.");
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  if (status) return InitStatus(inv, *client);

  Result<Json> resp = client->Call(
      "PUT", "sys/init", Json{{"secret_shares", shares}, {"secret_threshold", threshold}});
  if (!resp.ok()) return inv.Fail("Error initializing", resp.status());

  std::vector<std::string> keys_hex = StringList(*resp, "keys");
  std::vector<std::string> keys_b64 = StringList(*resp, "keys_base64");
  std::string root_token = StringField(*resp, "root_token");
  if (inv.format() == OutputFormat::kJson) {
    nlohmann::ordered_json out;
    out["unseal_keys_b64"] = keys_b64;
    out["unseal_keys_hex"] = keys_hex;
    out["unseal_shares"] = shares;
    out["unseal_threshold"] = threshold;
    out["recovery_keys_b64"] = nlohmann::ordered_json::array();
    out["recovery_keys_hex"] = nlohmann::ordered_json::array();
    out["recovery_keys_shares"] = 0;
    out["recovery_keys_threshold"] = 0;
    out["root_token"] = root_token;
    inv.out() << FormatJson(out);
  } else {
    PrintInitTable(inv.out(), keys_b64, root_token, shares, threshold);
  }
  return kExitOk;
}

}  // namespace coffer::cli
