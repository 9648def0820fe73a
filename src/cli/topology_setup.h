// Bringing a topology up: a directory per cluster with its config, one
// `coffer server` child each, then over HTTP: init, unseal, replication
// enabled and activated as the topology says, batch DR operation tokens on
// every DR primary, a secret/ KV v2 mount on every primary and standalone.
//
// Thread-safety: one caller; the state is the caller's.
// Invariants: the state file is saved as soon as processes exist, so `down`
// can stop what a failed `up` started; progress lines never hold a secret.
#pragma once

#include <iosfwd>
#include <string>

#include "cli/api_client.h"
#include "cli/topology_file.h"
#include "cli/topology_state.h"
#include "coffer/status.h"

namespace coffer::cli {

struct UpOptions {
  std::string dir;    // "" = a fresh /tmp/coffer-topology-<name>-XXXXXX
  int base_port = 0;  // 0 = free ports from the OS
  std::string binary; // the coffer executable to run
};

// Creates the directory layout and assigns ports; nothing runs yet.
// Errors: DIR not empty, ports out of range.
Result<TopologyState> PlanTopology(const Topology& topology, const UpOptions& options);

// Starts every cluster's process and saves the state.
Status StartClusters(TopologyState& state);

// Initialises, unseals and wires up replication; saves the state (with the
// secrets) when done. `progress` gets one line per step.
Status ConfigureClusters(TopologyState& state, const TransportFactory& factory,
                         std::ostream& progress);

// Stops every running cluster (SIGTERM to all, then SIGKILL to any still
// running after 15s) and saves the state.
Status StopClusters(TopologyState& state, std::ostream& progress);

}  // namespace coffer::cli
