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

// Authentication and generic path access (login_command.cc, rw_commands.cc).
int RunLogin(CommandContext& ctx, const std::vector<std::string>& args);
int RunRead(CommandContext& ctx, const std::vector<std::string>& args);
int RunWrite(CommandContext& ctx, const std::vector<std::string>& args);
int RunList(CommandContext& ctx, const std::vector<std::string>& args);
int RunDelete(CommandContext& ctx, const std::vector<std::string>& args);
int RunPatch(CommandContext& ctx, const std::vector<std::string>& args);
int RunUnwrap(CommandContext& ctx, const std::vector<std::string>& args);

// audit (audit_commands.cc).
int RunAuditEnable(CommandContext& ctx, const std::vector<std::string>& args);
int RunAuditList(CommandContext& ctx, const std::vector<std::string>& args);
int RunAuditDisable(CommandContext& ctx, const std::vector<std::string>& args);

// kv (kv_*_commands.cc).
int RunKvGet(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvPut(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvPatch(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvDelete(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvUndelete(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvDestroy(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvList(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvRollback(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvEnableVersioning(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvMetadataGet(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvMetadataPut(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvMetadataPatch(CommandContext& ctx, const std::vector<std::string>& args);
int RunKvMetadataDelete(CommandContext& ctx, const std::vector<std::string>& args);

// token (token_commands.cc).
int RunTokenCreate(CommandContext& ctx, const std::vector<std::string>& args);
int RunTokenLookup(CommandContext& ctx, const std::vector<std::string>& args);
int RunTokenRenew(CommandContext& ctx, const std::vector<std::string>& args);
int RunTokenRevoke(CommandContext& ctx, const std::vector<std::string>& args);
int RunTokenCapabilities(CommandContext& ctx, const std::vector<std::string>& args);

// lease (lease_commands.cc).
int RunLeaseRenew(CommandContext& ctx, const std::vector<std::string>& args);
int RunLeaseRevoke(CommandContext& ctx, const std::vector<std::string>& args);
int RunLeaseLookup(CommandContext& ctx, const std::vector<std::string>& args);

// secrets and auth mounts (secrets_commands.cc, auth_commands.cc).
int RunSecretsEnable(CommandContext& ctx, const std::vector<std::string>& args);
int RunSecretsDisable(CommandContext& ctx, const std::vector<std::string>& args);
int RunSecretsList(CommandContext& ctx, const std::vector<std::string>& args);
int RunSecretsTune(CommandContext& ctx, const std::vector<std::string>& args);
int RunSecretsMove(CommandContext& ctx, const std::vector<std::string>& args);
int RunAuthEnable(CommandContext& ctx, const std::vector<std::string>& args);
int RunAuthDisable(CommandContext& ctx, const std::vector<std::string>& args);
int RunAuthList(CommandContext& ctx, const std::vector<std::string>& args);
int RunAuthTune(CommandContext& ctx, const std::vector<std::string>& args);

// policy (policy_commands.cc).
int RunPolicyWrite(CommandContext& ctx, const std::vector<std::string>& args);
int RunPolicyRead(CommandContext& ctx, const std::vector<std::string>& args);
int RunPolicyList(CommandContext& ctx, const std::vector<std::string>& args);
int RunPolicyDelete(CommandContext& ctx, const std::vector<std::string>& args);
int RunPolicyFmt(CommandContext& ctx, const std::vector<std::string>& args);

// topology (topology_commands.cc): reference topologies on loopback.
int RunTopologyUp(CommandContext& ctx, const std::vector<std::string>& args);
int RunTopologyDown(CommandContext& ctx, const std::vector<std::string>& args);
int RunTopologyStatus(CommandContext& ctx, const std::vector<std::string>& args);
int RunTopologyFailover(CommandContext& ctx, const std::vector<std::string>& args);

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
