// `coffer lease renew|revoke|lookup` over sys/leases/*.
//
//   renew   PUT sys/leases/renew {lease_id, increment}
//   revoke  PUT sys/leases/revoke {lease_id, sync} | PUT
//           sys/leases/revoke-prefix/<prefix> {sync} (-prefix) | PUT
//           sys/leases/revoke-force/<prefix> (-force, which needs -prefix)
//   lookup  PUT sys/leases/lookup {lease_id}
#include <ostream>

#include "cli/commands.h"
#include "cli/secret_view.h"
#include "common/duration.h"

namespace coffer::cli {
namespace {

constexpr char kRenewUsage[] =
    "Usage: coffer lease renew [options] ID\n"
    "\n"
    "  Renews the lease of a secret by -increment (default: its current\n"
    "  duration), within the lease's maximum TTL.\n"
    "\n"
    "      $ coffer lease renew -increment=1h database/creds/readonly/IQKUMCTg3M5...\n";

constexpr char kRevokeUsage[] =
    "Usage: coffer lease revoke [options] ID\n"
    "\n"
    "  Revokes a lease (or, with -prefix, every lease under a path). Without\n"
    "  -sync the revocation is queued and retried in the background until it\n"
    "  succeeds. -force (with -prefix) removes the leases even when the secrets\n"
    "  engine cannot revoke them.\n";

constexpr char kLookupUsage[] =
    "Usage: coffer lease lookup ID\n"
    "\n"
    "  Shows a lease's issue time, expiry, last renewal, TTL and renewability.\n";

}  // namespace

int RunLeaseRenew(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kRenewUsage);
  std::string increment;
  inv.flags().String("increment", &increment, "Requested TTL from now (e.g. 1h); alias -i.");
  inv.flags().String("i", &increment, "Alias of -increment.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  Json body{{"lease_id", inv.positional()[0]}};
  if (inv.flags().IsSet("increment") || inv.flags().IsSet("i")) {
    Result<int64_t> secs = ParseDurationSeconds(std::string_view(increment));
    if (!secs.ok()) return inv.UsageError("invalid duration for -increment: \"" + increment + "\"");
    body["increment"] = *secs;
  }
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> secret = client->Call("PUT", "sys/leases/renew", body);
  if (!secret.ok()) return inv.Fail("Error renewing " + inv.positional()[0], secret.status());
  return OutputSecret(inv, *secret);
}

int RunLeaseRevoke(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kRevokeUsage);
  bool prefix = false, force = false, sync = false;
  inv.flags().Bool("prefix", &prefix, "Treat ID as a path prefix.");
  inv.flags().Bool("force", &force, "Remove the leases even if revocation fails (with -prefix).");
  inv.flags().Bool("f", &force, "Alias of -force.");
  inv.flags().Bool("sync", &sync, "Wait for the revocation instead of queuing it.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  if (force && !prefix) return inv.UsageError("Specifying -force requires also specifying -prefix");
  const std::string& id = inv.positional()[0];
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  if (force) {
    inv.err() << "Warning! Force-removing leases can cause Coffer to become out of sync with "
                 "secret engines!\n";
    Result<Json> done = client->Call("PUT", "sys/leases/revoke-force/" + EscapePath(id));
    if (!done.ok()) return inv.Fail("Error force revoking leases with prefix " + id, done.status());
    inv.out() << "Success! Force revoked any leases with prefix: " << id << "\n";
    return kExitOk;
  }
  Result<Json> done = prefix ? client->Call("PUT", "sys/leases/revoke-prefix/" + EscapePath(id),
                                            Json{{"sync", sync}})
                             : client->Call("PUT", "sys/leases/revoke",
                                            Json{{"lease_id", id}, {"sync", sync}});
  if (!done.ok()) {
    return inv.Fail(prefix ? "Error revoking leases with prefix " + id : "Error revoking lease " + id,
                    done.status());
  }
  if (!sync) {
    inv.out() << "All revocation operations queued successfully!\n";
  } else if (prefix) {
    inv.out() << "Success! Revoked any leases with prefix: " << id << "\n";
  } else {
    inv.out() << "Success! Revoked lease: " << id << "\n";
  }
  return kExitOk;
}

int RunLeaseLookup(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kLookupUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  const std::string& id = inv.positional()[0];
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<Json> secret = client->Call("PUT", "sys/leases/lookup", Json{{"lease_id", id}});
  if (!secret.ok()) return inv.Fail("Error looking up lease id " + id, secret.status());
  return OutputSecret(inv, *secret);
}

}  // namespace coffer::cli
