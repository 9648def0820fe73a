// Topology files: a reference design of Coffer clusters as data.
//
// A topology is a small JSON document (format in docs/topologies/README.md):
//   {"name": "two-dc", "description": "...", "regions": 3,
//    "clusters": [{"name": "dc-a-primary", "site": "dc-a", "role": "primary"},
//                 {"name": "dc-a-dr", "site": "dc-a", "role": "dr", "of": "dc-a-primary"},
//                 {"name": "r-{region}-perf", "site": "r-{region}", "role": "performance",
//                  "of": "dc-a-primary", "per_region": true}, ...]}
// Roles: "primary" (performance and DR primary), "performance" (a performance
// replica of a primary), "dr" (the DR replica of a primary or of a performance
// replica), "standalone" (a cluster without replication). A per_region entry
// is repeated once per region with "{region}" replaced by 1..N.
//
// Thread-safety: pure functions over values.
// Invariants of a parsed Topology: names are unique [a-z0-9-] words; every
// "of" names a cluster of the right role (performance -> primary, dr ->
// primary or performance); a cluster has at most one DR replica; each site
// has exactly one cluster that is not a DR replica (its active cluster).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"

namespace coffer::cli {

enum class ClusterRole { kPrimary, kPerformance, kDr, kStandalone };

std::string_view RoleName(ClusterRole role);
std::optional<ClusterRole> RoleFromName(std::string_view name);

struct ClusterSpec {
  std::string name;
  std::string site;
  ClusterRole role = ClusterRole::kStandalone;
  std::string of;  // the cluster it replicates from ("" for primary/standalone)
};

struct Topology {
  std::string name;
  std::string description;
  int regions = 0;  // 0 when the topology has no per_region clusters
  std::vector<ClusterSpec> clusters;
};

inline constexpr int kMaxRegions = 16;
inline constexpr size_t kMaxClusters = 40;

// Parses and checks a topology file. `regions` overrides the file's region
// count (an error for a topology without per_region clusters). Errors are
// InvalidArgument naming the field ("clusters[2].of: ...").
Result<Topology> ParseTopology(std::string_view text, std::optional<int> regions = std::nullopt);

// The cluster named `name`, or nullptr.
const ClusterSpec* FindCluster(const Topology& topology, std::string_view name);

// The topologies shipped in the binary (topologies/*.json, embedded at build
// time): name and file text, sorted by name.
struct BuiltinTopology {
  std::string_view name;
  std::string_view text;
};
std::span<const BuiltinTopology> BuiltinTopologies();

}  // namespace coffer::cli
