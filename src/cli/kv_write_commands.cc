// `coffer kv put`, `kv patch` and `kv rollback`: writes through the kv
// preflight (kv_mount.h).
//
//   put       v2: PUT <mount>data/<key> {"data":{...},"options":{"cas":N?}}
//             v1: PUT <key> {...}
//   patch     v2 only: PATCH <mount>data/<key> (merge patch); on 405, or on
//             403 when -method is not given, read the key and write the merged
//             data back with cas = the version read (-method=rw does that
//             directly)
//   rollback  v2 only: read the current version (for cas) and version N, then
//             write N's data as a new version
#include <ostream>
#include <variant>

#include "cli/commands.h"
#include "cli/kv_args.h"
#include "cli/kv_mount.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr size_t kAny = static_cast<size_t>(-1);

constexpr char kPutUsage[] =
    "Usage: coffer kv put [options] KEY K=V...\n"
    "\n"
    "  Writes data to a key in a KV secrets engine, replacing what was there (KV v2\n"
    "  keeps the old data as an older version). Values: K=V, K=@file, K=- (stdin);\n"
    "  a lone \"-\" reads a JSON object from stdin. -cas=N writes only if the current\n"
    "  version is N (0: only if the key does not exist).\n";

constexpr char kPatchUsage[] =
    "Usage: coffer kv patch [options] KEY K=V...\n"
    "\n"
    "  Merges data into the current version of a KV v2 key (new keys added, given\n"
    "  keys replaced, others kept), writing a new version. -method=patch uses only\n"
    "  HTTP PATCH, -method=rw only read-then-write; by default PATCH is tried first.\n";

constexpr char kRollbackUsage[] =
    "Usage: coffer kv rollback [options] -version=N KEY\n"
    "\n"
    "  Writes the data of version N of a KV v2 key as its new current version.\n";

// Data-less arguments: kv put/patch need a key and at least one K=V.
std::optional<int> CheckDataArgs(Invocation& inv) {
  size_t n = inv.positional().size();
  if (n == 0) return inv.UsageError("Not enough arguments (expected >1, got 0)");
  if (n == 1) {
    inv.err() << "Must supply data\n";
    return kExitLocalError;
  }
  return std::nullopt;
}

// The table a v2 write shows: the path and the new version's metadata.
int OutputWriteResult(Invocation& inv, const Json& secret, const std::string& path,
                      const std::string& field) {
  if (!field.empty()) return OutputField(inv, SecretField(secret, field), field);
  if (inv.format() != OutputFormat::kTable || IsWrapped(secret)) return OutputSecret(inv, secret);
  inv.err() << FormatWarnings(secret);
  const Json& metadata = Member(secret, "data");
  inv.out() << PathSection("Secret Path", path) << HeaderForMap("Metadata", metadata) << "\n"
            << FormatDataTable(metadata);
  return kExitOk;
}

void PrintWritten(Invocation& inv, const std::string& path) {
  if (inv.format() == OutputFormat::kTable)
    inv.out() << "Success! Data written to: " << path << "\n";
}

// Reads the current version of a v2 key for a read-modify-write. Prints the
// error and returns nullopt when the key has no readable data and metadata.
struct CurrentVersion {
  Json metadata;
  Json data;
};

std::optional<CurrentVersion> PreRead(Invocation& inv, const ApiClient& client,
                                      const std::string& path, std::string_view query,
                                      std::string_view operation) {
  Result<std::optional<Json>> read = client.Read(EscapePath(path) + std::string(query));
  if (!read.ok()) {
    inv.Fail("Error doing pre-read at " + path, read.status());
    return std::nullopt;
  }
  if (!read->has_value() || !Member(**read, "data").is_object()) {
    inv.err() << "No value found at " << path << "\n";
    return std::nullopt;
  }
  const Json& body = (**read)["data"];
  if (!Member(body, "metadata").is_object()) {
    inv.err() << "No metadata found at " << path << "; " << operation
              << " only works on existing data\n";
    return std::nullopt;
  }
  return CurrentVersion{body["metadata"], Member(body, "data")};
}

// -method=rw, and the PATCH fallback. Returns the written response (nullopt
// for 204, after printing "Success!") or an exit code.
std::variant<std::optional<Json>, int> ReadThenWrite(Invocation& inv, const ApiClient& client,
                                                     const std::string& path, const Json& patch) {
  std::optional<CurrentVersion> current = PreRead(inv, client, path, "", "patch");
  if (!current) return kExitRemoteError;
  if (!current->data.is_object()) {
    inv.err() << "No data found at " << path << "; patch only works on existing data\n";
    return kExitRemoteError;
  }
  Json merged = current->data;
  for (const auto& [k, v] : patch.items()) merged[k] = v;
  Json body = {{"data", merged}, {"options", {{"cas", Member(current->metadata, "version")}}}};
  Result<std::optional<Json>> written = client.Write("PUT", EscapePath(path), body);
  if (!written.ok()) return inv.Fail("Error writing data to " + path, written.status());
  if (!written->has_value()) PrintWritten(inv, path);
  return *written;
}

std::variant<std::optional<Json>, int> MergePatch(Invocation& inv, const ApiClient& client,
                                                  const std::string& path, const Json& patch,
                                                  int cas, bool fallback) {
  Json body = {{"data", patch}, {"options", Json::object()}};
  if (cas > 0) body["options"]["cas"] = cas;
  Result<std::optional<Json>> written = client.Write("PATCH", EscapePath(path), body);
  if (!written.ok()) {
    Code code = written.status().code();
    if (fallback && code == Code::kUnsupportedOperation) {
      return ReadThenWrite(inv, client, path, patch);
    }
    if (fallback && code == Code::kPermissionDenied) {
      std::variant<std::optional<Json>, int> result = ReadThenWrite(inv, client, path, patch);
      if (std::holds_alternative<std::optional<Json>>(result)) {
        inv.err() << "Data was written to " << path
                  << " by reading and rewriting it: the token may not PATCH it.\n"
                     "Granting the \"patch\" capability lets the server merge the data in one "
                     "request.\n";
      }
      return result;
    }
    return inv.Fail("Error writing data to " + path, written.status());
  }
  if (!written->has_value()) PrintWritten(inv, path);
  return *written;
}

}  // namespace

int RunKvPut(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kPutUsage);
  std::string mount;
  std::string field;
  int cas = -1;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().Int("cas", &cas, "Check-and-set version (KV v2; -1 = no check).");
  inv.flags().String("field", &field, "Print only this field of the response, raw.");
  if (auto exit = inv.Parse(args, 0, kAny)) return *exit;
  if (auto exit = CheckDataArgs(inv)) return *exit;
  std::vector<std::string> kv_args(inv.positional().begin() + 1, inv.positional().end());
  Result<Json> data = ParseKeyValueArgs(kv_args, ctx.read_stdin);
  if (!data.ok()) return inv.Fail("Failed to parse K=V data", data.status(), kExitLocalError);

  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  std::string path = kv.target().ApiPath("data");
  Json body = *data;
  if (kv.target().v2()) {
    body = {{"data", *data}, {"options", Json::object()}};
    if (cas > -1) body["options"]["cas"] = cas;
  }
  Result<std::optional<Json>> written = kv.client().Write("PUT", EscapePath(path), body);
  if (!written.ok()) return inv.Fail("Error writing data to " + path, written.status());
  if (!written->has_value()) {
    PrintWritten(inv, path);
    return kExitOk;
  }
  return OutputWriteResult(inv, **written, path, field);
}

int RunKvPatch(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kPatchUsage);
  std::string mount;
  std::string field;
  std::string method;
  int cas = 0;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().Int("cas", &cas, "Check-and-set version for PATCH (0 = no check).");
  inv.flags().String("method", &method, "\"patch\" or \"rw\" (read, then write); default both.");
  inv.flags().String("field", &field, "Print only this field of the response, raw.");
  if (auto exit = inv.Parse(args, 0, kAny)) return *exit;
  if (auto exit = CheckDataArgs(inv)) return *exit;
  std::vector<std::string> kv_args(inv.positional().begin() + 1, inv.positional().end());
  Result<Json> data = ParseKeyValueArgs(kv_args, ctx.read_stdin);
  if (!data.ok()) return inv.Fail("Failed to parse K=V data", data.status(), kExitLocalError);

  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  if (!kv.target().v2()) {
    inv.err() << "K/V engine mount must be version 2 for patch support\n";
    return kExitRemoteError;
  }
  std::string path = kv.target().ApiPath("data");
  std::variant<std::optional<Json>, int> result;
  if (method == "rw") {
    result = ReadThenWrite(inv, kv.client(), path, *data);
  } else if (method == "patch" || method.empty()) {
    result = MergePatch(inv, kv.client(), path, *data, cas, method.empty());
  } else {
    inv.err() << "Unsupported method provided to -method flag: " << method << "\n";
    return kExitRemoteError;
  }
  if (const int* exit = std::get_if<int>(&result)) return *exit;
  const std::optional<Json>& secret = std::get<std::optional<Json>>(result);
  if (!secret) return kExitOk;
  return OutputWriteResult(inv, *secret, path, field);
}

int RunKvRollback(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kRollbackUsage);
  std::string mount;
  std::string field;
  int version = 0;
  inv.flags().String("mount", &mount, "The KV mount; KEY is then the path inside it.");
  inv.flags().Int("version", &version, "The version to roll back to (required).");
  inv.flags().String("field", &field, "Print only this field of the response, raw.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  if (!inv.flags().IsSet("version")) {
    inv.err() << "Version flag must be specified\n";
    return kExitLocalError;
  }
  if (version <= 0) {
    inv.err() << "Invalid value for version: " << version << "\n";
    return kExitLocalError;
  }
  KvSession kv(inv, inv.positional()[0], mount);
  if (kv.failed()) return *kv.failed();
  if (!kv.target().v2()) {
    inv.err() << "Rollback not supported on KV Version 1\n";
    return kExitLocalError;
  }
  std::string path = kv.target().ApiPath("data");
  std::optional<CurrentVersion> current = PreRead(inv, kv.client(), path, "", "rollback");
  if (!current) return kExitRemoteError;
  std::optional<CurrentVersion> old =
      PreRead(inv, kv.client(), path, "?version=" + std::to_string(version), "rollback");
  if (!old) return kExitRemoteError;
  const Json& deletion_time = Member(old->metadata, "deletion_time");
  if (deletion_time.is_string() && !deletion_time.get<std::string>().empty()) {
    inv.err() << "Cannot roll back to a version that has been deleted\n";
    return kExitRemoteError;
  }
  if (Member(old->metadata, "destroyed") == true) {
    inv.err() << "Cannot roll back to a version that has been destroyed\n";
    return kExitRemoteError;
  }
  if (!old->data.is_object()) {
    inv.err() << "No data found at " << path << "; rollback only works on existing data\n";
    return kExitRemoteError;
  }
  Json body = {{"data", old->data}, {"options", {{"cas", Member(current->metadata, "version")}}}};
  Result<std::optional<Json>> written = kv.client().Write("PUT", EscapePath(path), body);
  if (!written.ok()) return inv.Fail("Error writing data to " + path, written.status());
  if (!written->has_value()) {
    PrintWritten(inv, path);
    return kExitOk;
  }
  if (!field.empty()) return OutputField(inv, SecretField(**written, field), field);
  return OutputSecret(inv, **written);
}

}  // namespace coffer::cli
