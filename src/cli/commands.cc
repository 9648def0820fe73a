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
    // A group word such as "operator" alone, or followed by -h.
    std::vector<std::string> group = {first};
    bool is_group = false;
    for (const CommandSpec& c : kCommands) is_group |= HasPrefix(Words(c.path), group);
    bool only_help =
        args.size() == 1 ||
        (args.size() == 2 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help"));
    if (is_group && only_help) {
      *(args.size() == 1 ? ctx.err : ctx.out) << CommandListing(group);
      return args.size() == 1 ? kExitLocalError : kExitOk;
    }
    std::string shown = first;
    if (is_group && args.size() > 1) shown += " " + args[1];
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
