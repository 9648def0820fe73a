// sys/metrics: the node's telemetry, as Vault serves it.
//
//   GET sys/metrics                     JSON: {"Timestamp", "Gauges", "Counters",
//                                       "Points", "Samples"} (go-metrics' shape)
//   GET sys/metrics?format=prometheus   text/plain Prometheus exposition
//
// A token with read on sys/metrics is required (an ordinary sys path). The
// core reports its own gauges (seal state, replicated log position and
// retention, group commits) and appends ReplicationHooks::metrics().
#pragma once

#include <vector>

#include "engines/framework.h"

namespace coffer::core {

class Core;

std::vector<framework::Path> SysMetricsPaths(Core& core);

}  // namespace coffer::core
