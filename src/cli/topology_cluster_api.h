// The HTTP calls `coffer topology` makes on a cluster: readiness, init and
// unseal, replication enable/activate/status, root and DR operation tokens
// from unseal keys, the batch DR operation token, a KV mount. Each is a thin
// wrapper over ApiClient with the wait (polled against a deadline) that
// follows it.
//
// Thread-safety: functions over the caller's ApiClient (one thread each).
// Invariants: keys and tokens pass through only in request/response bodies
// and return values; no message here contains one.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "coffer/status.h"

namespace coffer::cli {

// A client for the API at `addr` with `token` (may be "") and a request
// timeout of `timeout_s` seconds.
Result<ApiClient> ClusterClient(const TransportFactory& factory, const std::string& addr,
                                const std::string& token, int timeout_s = 10);

// Calls `check` every 50 ms until it returns true or `limit` passes; the
// last error (or "timed out waiting for <what>") is returned on timeout.
Status PollUntil(const std::function<Result<bool>()>& check, std::chrono::milliseconds limit,
                 std::string_view what);

// Until sys/health answers at all (any status).
Status WaitResponding(const ApiClient& client, std::chrono::milliseconds limit);
// sys/health's HTTP status (200 active, 472 DR secondary, 503 sealed, ...).
Result<int> HealthStatus(const ApiClient& client);

struct InitResult {
  std::vector<std::string> keys_base64;
  std::string root_token;
};
Result<InitResult> InitCluster(const ApiClient& client);
Status Unseal(const ApiClient& client, const std::vector<std::string>& keys);

// sys/replication/<kind>/status "data" (kind: "performance" or "dr").
Result<Json> ReplicationStatus(const ApiClient& client, std::string_view kind);
// sys/replication/<kind>/primary/enable, then waits for mode "primary".
Status EnablePrimary(const ApiClient& client, std::string_view kind);
// The wrapped activation token for secondary `id` from a primary.
Result<std::string> SecondaryToken(const ApiClient& primary, std::string_view kind,
                                   std::string_view id);
// sys/replication/<kind>/secondary/enable with `token`, then waits until it
// streams WALs.
Status EnableSecondary(const ApiClient& secondary, std::string_view kind, std::string_view token);
Status WaitStreaming(const ApiClient& secondary, std::string_view kind,
                     std::chrono::milliseconds limit);

// A root token from unseal key shares (sys/generate-root).
Result<std::string> GenerateRootToken(const ApiClient& client,
                                      const std::vector<std::string>& keys);
// A one-shot DR operation token from unseal key shares, on a DR secondary
// (sys/replication/dr/secondary/generate-operation-token).
Result<std::string> GenerateDrOperationToken(const ApiClient& client,
                                             const std::vector<std::string>& keys);
// A batch token (orphan, not renewable, 24h) whose policy allows the DR
// secondary operations; made on a DR primary, it serves its DR replicas.
Result<std::string> PrepareBatchDrToken(const ApiClient& client);

// A KV v2 mount at secret/ (as dev mode has); failover drills write there.
Status MountKv(const ApiClient& client);

}  // namespace coffer::cli
