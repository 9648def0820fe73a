// The state of a running topology, kept in its directory so that `down`,
// `status` and `failover` can act on clusters started by an earlier `up`.
//
//   DIR/state.json    (0600) topology name, and per cluster: site, current
//                     role and upstream, addresses, directory, pid, condition
//   DIR/secrets.json  (0600) per cluster: unseal keys, root token, the batch
//                     DR operation token prepared on it
// Both are rewritten atomically (token_file.h's WritePrivateFile).
//
// Thread-safety: values; Save/Load touch the file system.
// Invariants: secrets are only ever written to secrets.json, never to
// state.json or a log.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "cli/topology_file.h"
#include "coffer/status.h"

namespace coffer::cli {

struct ClusterState {
  std::string name;
  std::string site;
  ClusterRole role = ClusterRole::kStandalone;  // its role now (after failovers)
  std::string of;                               // its upstream now
  int api_port = 0;
  int cluster_port = 0;
  std::string dir;          // DIR/<name>
  pid_t pid = 0;
  std::string condition;    // "running", "killed", "demoted", "stopped"
  // secrets.json
  std::vector<std::string> keys;  // base64 unseal key shares it unseals with
  std::string root_token;
  std::string dr_operation_token;  // prepared on it while it is a DR primary

  std::string api_addr() const { return "http://127.0.0.1:" + std::to_string(api_port); }
  std::string cluster_addr() const { return "https://127.0.0.1:" + std::to_string(cluster_port); }
  std::string config_path() const { return dir + "/coffer.hcl"; }
  std::string log_path() const { return dir + "/server.log"; }
};

struct TopologyState {
  std::string topology;
  std::string dir;
  std::string binary;
  pid_t supervisor_pid = 0;  // the foreground `up`, 0 once detached
  std::vector<ClusterState> clusters;

  ClusterState* Find(std::string_view name);
  // The site's active cluster (the one that is not a DR replica and not
  // failed), or nullptr.
  ClusterState* ActiveOf(std::string_view site);
  // The DR replica following `name`, or nullptr.
  ClusterState* DrReplicaOf(std::string_view name);
};

std::string StatePath(const std::string& dir);
std::string SecretsPath(const std::string& dir);

Status SaveState(const TopologyState& state);
// Errors: no state file in `dir` (NotFound, saying so), malformed files
// (InvalidArgument).
Result<TopologyState> LoadState(const std::string& dir);

}  // namespace coffer::cli
