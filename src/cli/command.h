// The pieces every client command is built from: the context it runs in
// (streams, environment, transport, secret prompt), its table entry, and
// Invocation, which does the flag parsing and client set-up they all share.
//
// Exit codes follow the vault CLI: 0 success, 1 local error (bad flags,
// arguments, configuration), 2 error from the server or the network.
// `status` and `operator init -status` use 2 for "sealed"/"not initialised".
//
// Thread-safety: a command runs on one thread; nothing here is shared.
// Invariants: the context's streams outlive the command. Secrets read through
// read_secret are never echoed or logged.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "cli/api_config.h"
#include "cli/flags.h"
#include "coffer/status.h"

namespace coffer::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitLocalError = 1;
inline constexpr int kExitRemoteError = 2;

struct CommandContext {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  EnvLookup env;
  TransportFactory transport_factory;
  // Shows `prompt` and reads one line (without echo on a terminal); the
  // trailing newline is removed.
  std::function<Result<std::string>(std::string_view prompt)> read_secret;
  // Reads standard input to its end (values given as "-", JSON from stdin).
  std::function<Result<std::string>()> read_stdin;
  // Whether stdout is a terminal: -field output ends in a newline only then,
  // so a piped value is exactly the field.
  bool out_is_terminal = false;
  // Waits between status polls (secrets move); unset means a real sleep.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// std::cout/std::cerr, the process environment, the HTTP client, stdin.
CommandContext ProcessContext();

using CommandFn = int (*)(CommandContext& ctx, const std::vector<std::string>& args);

struct CommandSpec {
  std::string_view path;      // "operator init"
  std::string_view synopsis;  // one line for the command listing
  CommandFn run;
};

// Shared parsing and set-up for one command run:
//   Invocation inv(ctx, kUsage);
//   inv.flags().Bool("status", &status, "...");
//   if (auto exit = inv.Parse(args)) return *exit;
//   ASSIGN_OR_EXIT...  (see the commands for the pattern)
class Invocation {
 public:
  // `usage` is the text shown above the flag listing for -h and flag errors.
  // The global API and output flags are registered by Parse(), after the
  // command's own; Parse() is called once.
  Invocation(CommandContext& ctx, std::string usage);

  FlagSet& flags() { return flags_; }
  CommandContext& ctx() { return ctx_; }
  std::ostream& out() { return *ctx_.out; }
  std::ostream& err() { return *ctx_.err; }

  // Parses the flags and resolves the output format. Returns an exit code
  // when the command must stop: 0 after printing help, 1 after printing a
  // flag error and the usage. On success positional() holds the arguments.
  std::optional<int> Parse(const std::vector<std::string>& args);
  // Parse() plus a check on the number of positional arguments.
  std::optional<int> Parse(const std::vector<std::string>& args, size_t min_args, size_t max_args);

  const std::vector<std::string>& positional() const { return positional_; }
  OutputFormat format() const { return format_; }

  // The client for this run, built from flags, environment and token file.
  Result<ApiClient> Client();

  // Prints "<doing>: <message>" to stderr and returns `exit_code`.
  int Fail(std::string_view doing, const Status& status, int exit_code = kExitRemoteError);
  // Prints a local error and the usage to stderr; returns 1.
  int UsageError(std::string_view message);

  std::string Usage() const;

 private:
  CommandContext& ctx_;
  std::string usage_;
  FlagSet flags_;
  GlobalFlags global_;
  std::vector<std::string> positional_;
  OutputFormat format_ = OutputFormat::kTable;
};

}  // namespace coffer::cli
