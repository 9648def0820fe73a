#include "cli/commands.h"

#include <algorithm>
#include <array>
#include <ostream>

namespace coffer::cli {
namespace {

// Runs are routed by cli.cc; the entry exists for the listing.
int ServerPlaceholder(CommandContext&, const std::vector<std::string>&) { return kExitLocalError; }

constexpr std::array kCommands = {
    CommandSpec{"server", "Start a Coffer server", &ServerPlaceholder},
    CommandSpec{"status", "Print seal and HA status", &RunStatus},
    CommandSpec{"version", "Print the Coffer version", &RunVersion},
    CommandSpec{"operator init", "Initialize a server: create unseal keys and a root token",
                &RunOperatorInit},
    CommandSpec{"operator unseal", "Submit one unseal key share", &RunOperatorUnseal},
    CommandSpec{"operator seal", "Seal the server", &RunOperatorSeal},
    CommandSpec{"operator key-status", "Show the barrier encryption key status",
                &RunOperatorKeyStatus},
    CommandSpec{"operator rotate", "Rotate the barrier encryption key", &RunOperatorRotate},
    CommandSpec{"operator generate-root", "Generate a new root token from a quorum of unseal keys",
                &RunOperatorGenerateRoot},
    CommandSpec{"login", "Authenticate and store the token", &RunLogin},
    CommandSpec{"read", "Read data at a path", &RunRead},
    CommandSpec{"write", "Write data to a path", &RunWrite},
    CommandSpec{"list", "List the keys under a path", &RunList},
    CommandSpec{"delete", "Delete data at a path", &RunDelete},
    CommandSpec{"patch", "Merge data into a path", &RunPatch},
    CommandSpec{"unwrap", "Unwrap a wrapped response (once)", &RunUnwrap},
    CommandSpec{"kv get", "Read a key (KV v1 or v2)", &RunKvGet},
    CommandSpec{"kv put", "Write a key, replacing its data", &RunKvPut},
    CommandSpec{"kv patch", "Merge data into a KV v2 key", &RunKvPatch},
    CommandSpec{"kv delete", "Delete a key (KV v2: soft-delete versions)", &RunKvDelete},
    CommandSpec{"kv undelete", "Restore soft-deleted versions of a KV v2 key", &RunKvUndelete},
    CommandSpec{"kv destroy", "Permanently remove versions of a KV v2 key", &RunKvDestroy},
    CommandSpec{"kv list", "List the keys under a path", &RunKvList},
    CommandSpec{"kv rollback", "Make an older version of a KV v2 key current", &RunKvRollback},
    CommandSpec{"kv enable-versioning", "Upgrade a KV v1 mount to v2", &RunKvEnableVersioning},
    CommandSpec{"kv metadata get", "Show a KV v2 key's metadata and versions", &RunKvMetadataGet},
    CommandSpec{"kv metadata put", "Set a KV v2 key's metadata", &RunKvMetadataPut},
    CommandSpec{"kv metadata patch", "Change some of a KV v2 key's metadata", &RunKvMetadataPatch},
    CommandSpec{"kv metadata delete", "Delete a KV v2 key with all versions", &RunKvMetadataDelete},
    CommandSpec{"token create", "Create a token", &RunTokenCreate},
    CommandSpec{"token lookup", "Show a token's properties", &RunTokenLookup},
    CommandSpec{"token renew", "Renew a token", &RunTokenRenew},
    CommandSpec{"token revoke", "Revoke a token and its children", &RunTokenRevoke},
    CommandSpec{"token capabilities", "Show a token's capabilities on a path",
                &RunTokenCapabilities},
    CommandSpec{"lease renew", "Renew the lease of a secret", &RunLeaseRenew},
    CommandSpec{"lease revoke", "Revoke leases and the secrets behind them", &RunLeaseRevoke},
    CommandSpec{"lease lookup", "Show a lease's times and renewability", &RunLeaseLookup},
    CommandSpec{"secrets enable", "Mount a secrets engine", &RunSecretsEnable},
    CommandSpec{"secrets disable", "Unmount a secrets engine and delete its data",
                &RunSecretsDisable},
    CommandSpec{"secrets list", "List the mounted secrets engines", &RunSecretsList},
    CommandSpec{"secrets tune", "Change a secrets engine's settings", &RunSecretsTune},
    CommandSpec{"secrets move", "Move a secrets engine to a new path", &RunSecretsMove},
    CommandSpec{"auth enable", "Enable an auth method", &RunAuthEnable},
    CommandSpec{"auth disable", "Disable an auth method", &RunAuthDisable},
    CommandSpec{"auth list", "List the enabled auth methods", &RunAuthList},
    CommandSpec{"auth tune", "Change an auth method's settings", &RunAuthTune},
    CommandSpec{"policy write", "Upload a policy", &RunPolicyWrite},
    CommandSpec{"policy read", "Print a policy", &RunPolicyRead},
    CommandSpec{"policy list", "List the policies", &RunPolicyList},
    CommandSpec{"policy delete", "Delete a policy", &RunPolicyDelete},
    CommandSpec{"policy fmt", "Check a policy file and rewrite it canonically", &RunPolicyFmt},
    CommandSpec{"audit enable", "Enable an audit device", &RunAuditEnable},
    CommandSpec{"audit list", "List the enabled audit devices", &RunAuditList},
    CommandSpec{"audit disable", "Disable an audit device", &RunAuditDisable},
    CommandSpec{"topology up", "Bring up a reference topology of clusters on loopback",
                &RunTopologyUp},
    CommandSpec{"topology down", "Stop a topology brought up with -detach", &RunTopologyDown},
    CommandSpec{"topology status", "Show a topology's clusters: role, state, lag",
                &RunTopologyStatus},
    CommandSpec{"topology failover", "Run a site's failover drill", &RunTopologyFailover},
};

std::vector<std::string> Words(std::string_view path) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= path.size()) {
    size_t space = path.find(' ', start);
    if (space == std::string_view::npos) space = path.size();
    words.emplace_back(path.substr(start, space - start));
    start = space + 1;
  }
  return words;
}

bool HasPrefix(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return words.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

}  // namespace

std::span<const CommandSpec> Commands() { return kCommands; }

const CommandSpec* FindCommand(const std::vector<std::string>& args, size_t* consumed) {
  const CommandSpec* best = nullptr;
  size_t best_len = 0;
  for (const CommandSpec& c : kCommands) {
    std::vector<std::string> words = Words(c.path);
    if (words.size() > best_len && HasPrefix(args, words)) {
      best = &c;
      best_len = words.size();
    }
  }
  *consumed = best_len;
  return best;
}

std::string CommandListing(const std::vector<std::string>& prefix) {
  std::string out = "Usage: coffer ";
  for (const std::string& w : prefix) out += w + " ";
  out += "<command> [options] [args]\n\n";
  out += prefix.empty() ? "Commands:\n" : "Subcommands:\n";
  size_t width = 0;
  for (const CommandSpec& c : kCommands) {
    if (HasPrefix(Words(c.path), prefix)) width = std::max(width, c.path.size());
  }
  for (const CommandSpec& c : kCommands) {
    if (!HasPrefix(Words(c.path), prefix)) continue;
    out += "    ";
    out += c.path;
    out.append(width - c.path.size() + 4, ' ');
    out += c.synopsis;
    out += '\n';
  }
  out +=
      "\nRun \"coffer <command> -h\" for a command's options. The client commands read\n"
      "VAULT_ADDR/COFFER_ADDR, VAULT_TOKEN/COFFER_TOKEN and the other VAULT_* settings.\n";
  return out;
}

int Dispatch(CommandContext& ctx, const std::vector<std::string>& args) {
  if (args.empty()) {
    *ctx.err << CommandListing({});
    return 127;
  }
  const std::string& first = args[0];
  if (first == "-h" || first == "-help" || first == "--help" || first == "help") {
    *ctx.out << CommandListing({});
    return kExitOk;
  }
  if (first == "-v" || first == "-version" || first == "--version") {
    return RunVersion(ctx, {});
  }
  size_t consumed = 0;
  const CommandSpec* cmd = FindCommand(args, &consumed);
  if (cmd == nullptr) {
    // A group ("operator", "kv metadata") alone, or followed by -h: the
    // longest prefix of the arguments that some command path starts with.
    std::vector<std::string> group;
    for (const std::string& word : args) {
      std::vector<std::string> longer = group;
      longer.push_back(word);
      bool any = false;
      for (const CommandSpec& c : kCommands) any |= HasPrefix(Words(c.path), longer);
      if (!any) break;
      group = std::move(longer);
    }
    bool is_group = !group.empty();
    size_t after = group.size();
    bool only_help =
        is_group && (args.size() == after ||
                     (args.size() == after + 1 &&
                      (args[after] == "-h" || args[after] == "-help" || args[after] == "--help")));
    if (only_help) {
      bool bare = args.size() == after;
      *(bare ? ctx.err : ctx.out) << CommandListing(group);
      return bare ? kExitLocalError : kExitOk;
    }
    std::string shown = first;
    if (is_group && args.size() > after) {
      shown.clear();
      for (size_t i = 0; i <= after; ++i) shown += (i ? " " : "") + args[i];
    }
    *ctx.err << "Unknown command: " << shown << "\n\n"
             << CommandListing(is_group ? group : std::vector<std::string>{});
    return 127;
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(consumed), args.end());
  return cmd->run(ctx, rest);
}

int RunVersion(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!args.empty() && args[0] != "-h" && args[0] != "-help" && args[0] != "--help") {
    *ctx.err << "Too many arguments (expected 0, got " << args.size() << ")\n";
    return kExitLocalError;
  }
  *ctx.out << "Coffer v" << COFFER_VERSION << "\n";
  return kExitOk;
}

}  // namespace coffer::cli
