#include "core/sys_routes.h"

#include <chrono>
#include <cstring>
#include <string>

#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "core/core.h"
#include "core/sys_replication.h"
#include "crypto/encoding.h"

namespace coffer::core {
namespace {

constexpr char kBuildDate[] = "2026-11-28T00:00:00Z";

bool IsWrite(const Request& req) {
  return req.operation == Operation::kUpdate || req.operation == Operation::kCreate;
}

bool IsRead(const Request& req) {
  return req.operation == Operation::kRead || req.operation == Operation::kHead;
}

Json SealStatusJson(Core& core) {
  auto config = core.seal().Config();
  UnsealProgress progress = core.seal().Progress();
  bool initialized = config.ok() && config->has_value();
  Json j = {{"type", "shamir"},
            {"initialized", initialized},
            {"sealed", core.Sealed()},
            {"t", initialized ? (*config)->secret_threshold : 0},
            {"n", initialized ? (*config)->secret_shares : 0},
            {"progress", progress.progress},
            {"nonce", progress.nonce},
            {"version", kVersion},
            {"build_date", kBuildDate},
            {"migration", false},
            {"recovery_seal", false},
            {"storage_type", core.options().storage_type}};
  if (!core.Sealed()) {
    ClusterInfo info = core.cluster_info();
    j["cluster_name"] = info.name;
    j["cluster_id"] = info.id;
  }
  return j;
}

// --- unauthenticated routes -------------------------------------------------

Result<Response> HandleInit(Core& core, const Request& req, const TokenEntry*) {
  if (IsRead(req)) {
    ASSIGN_OR_RETURN(bool initialized, core.seal().Initialized());
    return Response::RawJson(Json{{"initialized", initialized}});
  }
  if (!IsWrite(req)) return Unsupported();
  ASSIGN_OR_RETURN(auto shares, GetInt(req.data, "secret_shares"));
  ASSIGN_OR_RETURN(auto threshold, GetInt(req.data, "secret_threshold"));
  ASSIGN_OR_RETURN(auto pgp_keys, GetStringList(req.data, "pgp_keys"));
  ASSIGN_OR_RETURN(auto root_pgp, GetString(req.data, "root_token_pgp_key"));
  if ((pgp_keys && !pgp_keys->empty()) || (root_pgp && !root_pgp->empty())) {
    return InvalidArgument("PGP-encrypted key shares are not supported by this server");
  }
  if (!shares.has_value()) return InvalidArgument("secret_shares is required");
  if (!threshold.has_value()) return InvalidArgument("secret_threshold is required");
  if (*shares < 1 || *shares > 255 || *threshold < 1 || *threshold > 255) {
    return InvalidArgument("secret_shares and secret_threshold must be between 1 and 255");
  }
  ASSIGN_OR_RETURN(InitOutput out, core.Initialize(static_cast<int>(*shares),
                                                   static_cast<int>(*threshold)));
  Json keys = Json::array();
  Json keys_b64 = Json::array();
  for (auto& k : out.keys) {
    keys.push_back(crypto::HexEncode(k));
    keys_b64.push_back(crypto::Base64Encode(k));
    OPENSSL_cleanse(k.data(), k.size());
  }
  COFFER_LOG(kInfo, "core") << "initialised through sys/init";
  return Response::RawJson(
      Json{{"keys", keys}, {"keys_base64", keys_b64}, {"root_token", out.root_token}});
}

Result<Response> HandleSealStatus(Core& core, const Request& req, const TokenEntry*) {
  if (!IsRead(req)) return Unsupported();
  return Response::RawJson(SealStatusJson(core));
}

Result<Response> HandleUnseal(Core& core, const Request& req, const TokenEntry*) {
  if (!IsWrite(req)) return Unsupported();
  ASSIGN_OR_RETURN(auto reset, GetBool(req.data, "reset"));
  ASSIGN_OR_RETURN(auto key, GetString(req.data, "key"));
  ASSIGN_OR_RETURN(bool initialized, core.seal().Initialized());
  if (!initialized) return InvalidArgument("server is not yet initialized");
  if (reset.value_or(false)) {
    core.seal().ResetUnseal();
    return Response::RawJson(SealStatusJson(core));
  }
  if (!key.has_value() || key->empty()) {
    return InvalidArgument("'key' must be specified in request body as JSON, or 'reset' set to true");
  }
  ASSIGN_OR_RETURN(UnsealProgress progress, core.Unseal(*key));
  (void)progress;
  return Response::RawJson(SealStatusJson(core));
}

// Parses a status-code override of sys/health; absent -> default.
Result<int> HealthCode(const Json& data, const char* name, int fallback) {
  ASSIGN_OR_RETURN(auto v, GetInt(data, name));
  if (!v.has_value()) return fallback;
  if (*v < 100 || *v > 599) {
    return InvalidArgument(std::string("invalid value for \"") + name + "\": not an HTTP status");
  }
  return static_cast<int>(*v);
}

// standbyok / perfstandbyok: present without a value means true.
Result<bool> HealthFlag(const Json& data, const char* name) {
  if (!data.contains(name)) return false;
  if (data[name].is_string() && data[name].get<std::string>().empty()) return true;
  ASSIGN_OR_RETURN(auto v, GetBool(data, name));
  return v.value_or(false);
}

Result<Response> HandleHealth(Core& core, const Request& req, const TokenEntry*) {
  if (!IsRead(req)) return Unsupported();
  ASSIGN_OR_RETURN(int active_code, HealthCode(req.data, "activecode", 200));
  ASSIGN_OR_RETURN(int standby_code, HealthCode(req.data, "standbycode", 429));
  ASSIGN_OR_RETURN(int dr_code, HealthCode(req.data, "drsecondarycode", 472));
  ASSIGN_OR_RETURN(int perf_code, HealthCode(req.data, "performancestandbycode", 473));
  ASSIGN_OR_RETURN(int sealed_code, HealthCode(req.data, "sealedcode", 503));
  ASSIGN_OR_RETURN(int uninit_code, HealthCode(req.data, "uninitcode", 501));
  ASSIGN_OR_RETURN(bool standby_ok, HealthFlag(req.data, "standbyok"));
  ASSIGN_OR_RETURN(bool perf_standby_ok, HealthFlag(req.data, "perfstandbyok"));
  // A single node is never a standby.
  (void)standby_code;
  (void)perf_code;
  (void)standby_ok;
  (void)perf_standby_ok;

  ASSIGN_OR_RETURN(bool initialized, core.seal().Initialized());
  bool sealed = core.Sealed();
  const int64_t now = UnixSeconds();
  Json body = {{"initialized", initialized},
               {"sealed", sealed},
               {"standby", false},
               {"performance_standby", false},
               {"replication_performance_mode", "disabled"},
               {"replication_dr_mode", "disabled"},
               {"server_time_utc", now},
               {"version", kVersion},
               {"enterprise", false},
               {"echo_duration_ms", 0},
               {"clock_skew_ms", 0},
               {"replication_primary_canary_age_ms", 0}};
  if (!sealed) {
    ClusterInfo info = core.cluster_info();
    body["cluster_name"] = info.name;
    body["cluster_id"] = info.id;
  }
  // The replicated log's position is plain metadata, readable sealed too.
  auto wal = core.replicated_log().State();
  body["last_wal"] = wal.ok() ? wal->last_index : 0;
  // The replication module knows the node's modes and their details.
  if (const ReplicationHooks& hooks = core.replication_hooks(); hooks.health) {
    Json extra = hooks.health();
    if (extra.is_object()) body.update(extra);
  }
  // Vault's order: uninitialised, sealed, DR secondary, active. The DR mode
  // is the one the body reports, so code and body always agree.
  int code = active_code;
  if (!initialized) {
    code = uninit_code;
  } else if (sealed) {
    code = sealed_code;
  } else if (body["replication_dr_mode"] == "secondary") {
    code = dr_code;
  }
  Response r = Response::RawJson(body, code);
  r.head_only = req.operation == Operation::kHead;
  return r;
}

Result<Response> HandleLeader(Core& core, const Request& req, const TokenEntry*) {
  if (!IsRead(req)) return Unsupported();
  (void)core;
  return Response::RawJson(Json{{"ha_enabled", false},
                                {"is_self", false},
                                {"active_time", "0001-01-01T00:00:00Z"},
                                {"leader_address", ""},
                                {"leader_cluster_address", ""},
                                {"performance_standby", false},
                                {"performance_standby_last_remote_wal", 0}});
}

Result<int> RequiredShares(Core& core) {
  ASSIGN_OR_RETURN(auto config, core.seal().Config());
  if (!config.has_value()) return InvalidArgument("server is not yet initialized");
  return config->secret_threshold;
}

Result<Response> HandleGenerateRootAttempt(Core& core, const Request& req, const TokenEntry*) {
  if (core.Sealed()) return Sealed();
  ASSIGN_OR_RETURN(int required, RequiredShares(core));
  if (IsRead(req)) return Response::RawJson(core.generate_root().StatusJson(required));
  if (req.operation == Operation::kDelete) {
    core.generate_root().Cancel();
    return Response::Empty();
  }
  if (!IsWrite(req)) return Unsupported();
  ASSIGN_OR_RETURN(auto otp, GetString(req.data, "otp"));
  ASSIGN_OR_RETURN(auto pgp_key, GetString(req.data, "pgp_key"));
  ASSIGN_OR_RETURN(Json status,
                   core.generate_root().Start(otp.value_or(""), pgp_key.value_or(""), required));
  return Response::RawJson(status);
}

Result<Response> HandleGenerateRootUpdate(Core& core, const Request& req, const TokenEntry*) {
  if (!IsWrite(req)) return Unsupported();
  if (core.Sealed()) return Sealed();
  ASSIGN_OR_RETURN(auto config, core.seal().Config());
  if (!config.has_value()) return InvalidArgument("server is not yet initialized");
  ASSIGN_OR_RETURN(auto key, GetString(req.data, "key"));
  ASSIGN_OR_RETURN(auto nonce, GetString(req.data, "nonce"));
  if (!key.has_value() || key->empty()) return InvalidArgument("missing key");
  if (!nonce.has_value() || nonce->empty()) return InvalidArgument("missing nonce");
  ASSIGN_OR_RETURN(std::string share, Seal::DecodeKey(*key, config->secret_shares));
  auto verify = [&core](const std::vector<std::string>& shares) {
    return core.seal().VerifyRootKey(shares);
  };
  auto mint = [&core]() -> Result<std::string> {
    ASSIGN_OR_RETURN(TokenEntry root, core.tokens().CreateRootToken());
    COFFER_LOG(kInfo, "core") << "generate-root completed; new root token accessor "
                              << root.accessor;
    return root.id;
  };
  auto result =
      core.generate_root().Update(share, *nonce, config->secret_threshold, verify, mint);
  OPENSSL_cleanse(share.data(), share.size());
  if (!result.ok()) return result.status();
  return Response::RawJson(*result);
}

// --- authenticated routes ---------------------------------------------------

Result<Response> HandleSeal(Core& core, const Request& req, const TokenEntry*) {
  if (!IsWrite(req)) return Unsupported();
  RETURN_IF_ERROR(core.SealNode());
  return Response::Empty();
}

Result<Response> HandleStepDown(Core&, const Request& req, const TokenEntry*) {
  if (!IsWrite(req)) return Unsupported();
  // A single node has no one to hand leadership to.
  return Response::Empty();
}

Result<Response> HandleRotate(Core& core, const Request& req, const TokenEntry*) {
  if (!IsWrite(req)) return Unsupported();
  RETURN_IF_ERROR(core.barrier().Rotate());
  COFFER_LOG(kInfo, "core") << "barrier key rotated";
  return Response::Empty();
}

Result<Response> HandleKeyStatus(Core& core, const Request& req, const TokenEntry*) {
  if (req.operation != Operation::kRead) return Unsupported();
  ASSIGN_OR_RETURN(Barrier::KeyStatus status, core.barrier().GetKeyStatus());
  return Response::Data(Json{{"term", status.term},
                             {"install_time", status.install_time},
                             {"encryptions", status.encryptions}});
}

// A DR secondary answers its seal lifecycle, health and replication status;
// its root tokens come from generate-operation-token, not generate-root.
constexpr SysRoute kUnauthenticated[] = {
    {"sys/init", HandleInit, true},
    {"sys/seal-status", HandleSealStatus, true},
    {"sys/unseal", HandleUnseal, true},
    {"sys/health", HandleHealth, true},
    {"sys/leader", HandleLeader, true},
    {"sys/generate-root/attempt", HandleGenerateRootAttempt, false},
    {"sys/generate-root/update", HandleGenerateRootUpdate, false},
    {"sys/replication/status", HandleReplicationStatus, true},
    {"sys/replication/performance/status", HandleReplicationStatus, true},
    {"sys/replication/dr/status", HandleReplicationStatus, true},
};

template <size_t N>
const SysRoute* Find(const SysRoute (&routes)[N], std::string_view path) {
  for (const SysRoute& r : routes) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

}  // namespace

const SysRoute* FindUnauthenticatedSysRoute(std::string_view path) {
  return Find(kUnauthenticated, path);
}

std::vector<framework::Path> SysCorePaths(Core& core) {
  Core* c = &core;
  // Adapts a route handler (which takes the core) to a framework handler.
  auto wrap = [c](Result<Response> (*h)(Core&, const Request&, const TokenEntry*)) {
    return [c, h](const EngineRequest& req, const framework::Params&) -> Result<Response> {
      Request r;
      r.operation = req.operation;
      r.path = req.path;
      r.data = req.data;
      return h(*c, r, nullptr);
    };
  };
  std::vector<framework::Path> paths;
  paths.push_back({.pattern = "seal",
                   .operations = {{Operation::kUpdate, wrap(HandleSeal)}},
                   .help = "Seal the node."});
  paths.push_back({.pattern = "step-down",
                   .operations = {{Operation::kUpdate, wrap(HandleStepDown)}},
                   .help = "Give up active status (no-op on a single node)."});
  paths.push_back({.pattern = "rotate",
                   .operations = {{Operation::kUpdate, wrap(HandleRotate)}},
                   .help = "Rotate the barrier encryption key."});
  paths.push_back({.pattern = "key-status",
                   .operations = {{Operation::kRead, wrap(HandleKeyStatus)}},
                   .help = "The barrier key term and its install time."});
  return paths;
}

}  // namespace coffer::core
