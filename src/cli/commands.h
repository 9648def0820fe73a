// The command table of the `coffer` binary and the client commands in it.
//
// A command is named by a path of words ("operator init"); Dispatch() picks
// the longest path that prefixes the arguments and hands the rest to its
// handler. Adding a command is one handler plus one row in commands.cc.
//
// Thread-safety: the table is immutable; handlers run on the calling thread.
// Invariants: handlers return exit codes (command.h), never throw, and never
// print a token or key except where printing it is the command's purpose
// (operator init, generate-root).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "cli/command.h"

namespace coffer::cli {

// Handlers, one per command path; `args` are the words after the path.
int RunStatus(CommandContext& ctx, const std::vector<std::string>& args);
int RunVersion(CommandContext& ctx, const std::vector<std::string>& args);
int RunOperatorInit(CommandContext& ctx, const std::vector<std::string>& args);
int RunOperatorUnseal(CommandContext& ctx, const std::vector<std::string>& args);
int RunOperatorSeal(CommandContext& ctx, const std::vector<std::string>& args);
int RunOperatorKeyStatus(CommandContext& ctx, const std::vector<std::string>& args);
int RunOperatorRotate(CommandContext& ctx, const std::vector<std::string>& args);
int RunOperatorGenerateRoot(CommandContext& ctx, const std::vector<std::string>& args);

// Every command, in listing order ("server" included; it is run by cli.cc).
std::span<const CommandSpec> Commands();

// The entry whose path is the longest prefix of `args`; *consumed is set to
// the number of words matched. nullptr when none matches.
const CommandSpec* FindCommand(const std::vector<std::string>& args, size_t* consumed);

// "Usage: coffer <command> ..." and the listing of commands under `prefix`
// (all commands for an empty prefix).
std::string CommandListing(const std::vector<std::string>& prefix);

// Runs the client command named by `args` (argv without the program name).
// "server" is not handled here (it needs no context); see cli.cc.
int Dispatch(CommandContext& ctx, const std::vector<std::string>& args);

}  // namespace coffer::cli
