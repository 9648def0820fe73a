// coffer unwrap [TOKEN]: the response a wrapping token holds.
#include "cli/commands.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kUnwrapUsage[] = R"(Usage: coffer unwrap [options] [TOKEN]

  Unwraps a wrapped secret from the server and prints the original response.
  A wrapping token works once: a second unwrap fails, which shows that
  someone else opened it first.

  Without TOKEN, the client token (VAULT_TOKEN) is the wrapping token:

      $ VAULT_TOKEN=hvs.XYZ coffer unwrap

  With TOKEN, the logged-in token makes the call and TOKEN is unwrapped:

      $ coffer unwrap hvs.XYZ
)";

}  // namespace

int RunUnwrap(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUnwrapUsage);
  std::string field;
  inv.flags().String("field", &field, "Print only this field of the response, raw.");
  if (auto exit = inv.Parse(args, 0, 1)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Json body = nullptr;
  if (!inv.positional().empty()) {
    const std::string& token = inv.positional()[0];
    // As the vault API client: with no token of its own the client sends the
    // wrapping token as its token; otherwise in the body.
    if (client->config().token.empty()) {
      client->set_token(token);
    } else if (token != client->config().token) {
      body = Json{{"token", token}};
    }
  }
  Result<std::optional<Json>> secret = client->Write("PUT", "sys/wrapping/unwrap", body);
  if (!secret.ok()) return inv.Fail("Error unwrapping", secret.status());
  if (!secret->has_value()) {
    inv.err() << "Could not find wrapped response\n";
    return kExitRemoteError;
  }
  if (!field.empty()) return OutputField(inv, SecretField(**secret, field), field);
  return OutputSecret(inv, **secret);
}

}  // namespace coffer::cli
