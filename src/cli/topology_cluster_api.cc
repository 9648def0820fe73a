#include "cli/topology_cluster_api.h"

#include <thread>

#include "cli/reply_fields.h"
#include "cli/root_token_otp.h"

namespace coffer::cli {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kModeWait = std::chrono::seconds(20);
constexpr auto kStreamWait = std::chrono::seconds(90);

constexpr char kDrOpsPolicy[] = "topology-dr-ops";
constexpr char kDrOpsRole[] = "topology-dr-ops-batch";
constexpr const char* kDrOps[] = {"promote", "update-primary", "disable", "reindex",
                                  "operation-token/delete"};

// The attempt/update flow shared by generate-root and the DR operation token.
Result<std::string> TokenFromKeys(const ApiClient& client, const std::string& base,
                                  const std::vector<std::string>& keys) {
  // A stale attempt (an earlier run that died half-way) would refuse a new one.
  (void)client.Send("DELETE", base + "/attempt");
  ASSIGN_OR_RETURN(Json attempt, client.Call("PUT", base + "/attempt", Json::object()));
  std::string otp = StringField(attempt, "otp");
  std::string nonce = StringField(attempt, "nonce");
  if (otp.empty() || nonce.empty()) return Internal(base + "/attempt answered without an OTP");
  for (const std::string& key : keys) {
    ASSIGN_OR_RETURN(Json update,
                     client.Call("PUT", base + "/update", Json{{"key", key}, {"nonce", nonce}}));
    if (BoolField(update, "complete")) {
      std::string encoded = StringField(update, "encoded_token");
      if (encoded.empty()) encoded = StringField(update, "encoded_root_token");
      return DecodeRootToken(encoded, otp);
    }
  }
  return InvalidArgument(base + ": the key shares did not complete the attempt");
}

}  // namespace

Result<ApiClient> ClusterClient(const TransportFactory& factory, const std::string& addr,
                                const std::string& token, int timeout_s) {
  ApiConfig config;
  config.address = addr;
  config.token = token;
  config.timeout_s = timeout_s;
  ASSIGN_OR_RETURN(Transport transport, factory(config));
  return ApiClient(std::move(config), std::move(transport));
}

Status PollUntil(const std::function<Result<bool>()>& check, std::chrono::milliseconds limit,
                 std::string_view what) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  Status last = Status::Ok();
  for (;;) {
    Result<bool> done = check();
    if (done.ok() && *done) return Status::Ok();
    if (!done.ok()) last = done.status();
    if (std::chrono::steady_clock::now() > deadline) {
      std::string msg = "timed out after " + std::to_string(limit.count() / 1000) +
                        "s waiting for " + std::string(what);
      if (!last.ok()) msg += " (last error: " + last.message() + ")";
      return Unavailable(msg);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Status WaitResponding(const ApiClient& client, std::chrono::milliseconds limit) {
  return PollUntil([&]() -> Result<bool> { return HealthStatus(client).ok(); }, limit,
                   "the server at " + client.config().address + " to answer");
}

Result<int> HealthStatus(const ApiClient& client) {
  ASSIGN_OR_RETURN(ApiResponse r, client.Send("GET", "sys/health"));
  return r.status;
}

Result<InitResult> InitCluster(const ApiClient& client) {
  ASSIGN_OR_RETURN(Json reply, client.Call("PUT", "sys/init",
                                           Json{{"secret_shares", 1}, {"secret_threshold", 1}}));
  InitResult init;
  if (reply.contains("keys_base64") && reply["keys_base64"].is_array()) {
    for (const Json& k : reply["keys_base64"]) init.keys_base64.push_back(k.get<std::string>());
  }
  init.root_token = StringField(reply, "root_token");
  if (init.keys_base64.empty() || init.root_token.empty()) {
    return Internal("sys/init answered without keys or a root token");
  }
  return init;
}

Status Unseal(const ApiClient& client, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    ASSIGN_OR_RETURN(Json reply, client.Call("PUT", "sys/unseal", Json{{"key", key}}));
    if (!BoolField(reply, "sealed", true)) return Status::Ok();
  }
  return InvalidArgument("still sealed after every key share");
}

Result<Json> ReplicationStatus(const ApiClient& client, std::string_view kind) {
  ASSIGN_OR_RETURN(Json reply,
                   client.Call("GET", "sys/replication/" + std::string(kind) + "/status"));
  return DataOf(reply);
}

Status EnablePrimary(const ApiClient& client, std::string_view kind) {
  std::string k(kind);
  RETURN_IF_ERROR(client.Call("PUT", "sys/replication/" + k + "/primary/enable", Json::object())
                      .status());
  return PollUntil(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(Json s, ReplicationStatus(client, kind));
        return StringField(s, "mode") == "primary";
      },
      kModeWait, k + " primary mode");
}

Result<std::string> SecondaryToken(const ApiClient& primary, std::string_view kind,
                                   std::string_view id) {
  ASSIGN_OR_RETURN(Json reply,
                   primary.Call("PUT",
                                "sys/replication/" + std::string(kind) +
                                    "/primary/secondary-token",
                                Json{{"id", std::string(id)}}));
  std::string token = StringField(Member(reply, "wrap_info"), "token");
  if (token.empty()) return Internal("secondary-token answered without wrap_info.token");
  return token;
}

Status EnableSecondary(const ApiClient& secondary, std::string_view kind, std::string_view token) {
  RETURN_IF_ERROR(secondary
                      .Call("PUT", "sys/replication/" + std::string(kind) + "/secondary/enable",
                            Json{{"token", std::string(token)}})
                      .status());
  return WaitStreaming(secondary, kind, kStreamWait);
}

Status WaitStreaming(const ApiClient& secondary, std::string_view kind,
                     std::chrono::milliseconds limit) {
  return PollUntil(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(Json s, ReplicationStatus(secondary, kind));
        return StringField(s, "mode") == "secondary" && StringField(s, "state") == "stream-wals";
      },
      limit, "the " + std::string(kind) + " secondary at " + secondary.config().address +
                 " to stream");
}

Result<std::string> GenerateRootToken(const ApiClient& client,
                                      const std::vector<std::string>& keys) {
  return TokenFromKeys(client, "sys/generate-root", keys);
}

Result<std::string> GenerateDrOperationToken(const ApiClient& client,
                                             const std::vector<std::string>& keys) {
  return TokenFromKeys(client, "sys/replication/dr/secondary/generate-operation-token", keys);
}

Result<std::string> PrepareBatchDrToken(const ApiClient& client) {
  std::string rules;
  for (const char* op : kDrOps) {
    rules += "path \"sys/replication/dr/secondary/" + std::string(op) +
             "\" { capabilities = [\"update\"] }\n";
  }
  RETURN_IF_ERROR(client.Call("PUT", std::string("sys/policies/acl/") + kDrOpsPolicy,
                              Json{{"policy", rules}})
                      .status());
  RETURN_IF_ERROR(client
                      .Call("PUT", std::string("auth/token/roles/") + kDrOpsRole,
                            Json{{"allowed_policies", {kDrOpsPolicy}},
                                 {"orphan", true},
                                 {"renewable", false},
                                 {"token_type", "batch"}})
                      .status());
  ASSIGN_OR_RETURN(Json reply, client.Call("PUT", std::string("auth/token/create/") + kDrOpsRole,
                                           Json{{"policies", {kDrOpsPolicy}}, {"ttl", "24h"}}));
  std::string token = StringField(Member(reply, "auth"), "client_token");
  if (token.empty()) return Internal("token create answered without a client token");
  return token;
}

Status MountKv(const ApiClient& client) {
  return client
      .Call("POST", "sys/mounts/secret", Json{{"type", "kv"}, {"options", {{"version", "2"}}}})
      .status();
}

}  // namespace coffer::cli
