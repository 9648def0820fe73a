#include "core/sys_metrics.h"

#include <cstdlib>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/json_util.h"
#include "core/core.h"
#include "core/token_ttl.h"

namespace coffer::core {
namespace {

constexpr char kPrometheusType[] = "text/plain; version=0.0.4; charset=utf-8";

struct Metric {
  std::string name;  // Prometheus name: coffer_<area>_<what>
  std::string help;
  bool counter = false;
  double value = 0;
};

std::vector<Metric> CoreMetrics(Core& core) {
  std::vector<Metric> out;
  out.push_back({"coffer_core_unsealed", "1 when the node is unsealed", false,
                 core.Sealed() ? 0.0 : 1.0});
  auto wal = core.replicated_log().State();
  if (wal.ok()) {
    out.push_back({"coffer_wal_last_index", "index of the newest WAL entry", false,
                   static_cast<double>(wal->last_index)});
    out.push_back({"coffer_wal_first_index", "index of the oldest retained WAL entry", false,
                   static_cast<double>(wal->first_index)});
    out.push_back({"coffer_wal_retained_bytes", "bytes of WAL entries retained", false,
                   static_cast<double>(wal->retained_bytes)});
  }
  auto stats = core.replicated_log().commit_stats();
  out.push_back({"coffer_wal_commit_groups_total", "physical writes of the group commit", true,
                 static_cast<double>(stats.groups)});
  out.push_back({"coffer_wal_commit_batches_total", "logical batches committed", true,
                 static_cast<double>(stats.batches)});
  const auto leaves = core.replicated_log().leaf_index_stats();
  out.push_back({"coffer_merkle_leaves_held", "Merkle leaves the leaf index holds in memory",
                 false, static_cast<double>(leaves.held)});
  out.push_back({"coffer_merkle_leaves_unheld",
                 "keys the leaf index had no room for (their old leaves are read from storage)",
                 false, static_cast<double>(leaves.unheld)});
  out.push_back({"coffer_merkle_leaf_index_complete",
                 "1 while a written key's old leaf is known without reading storage (unless unheld)",
                 false, leaves.complete ? 1.0 : 0.0});
  const auto cache = core.replicated_log().read_cache_stats();
  out.push_back({"coffer_read_cache_hits_total", "reads answered by the read cache (a value or that the key does not exist)", true,
                 static_cast<double>(cache.hits)});
  out.push_back({"coffer_read_cache_misses_total",
                 "reads of cached prefixes that went to storage", true,
                 static_cast<double>(cache.misses)});
  out.push_back({"coffer_read_cache_evictions_total",
                 "entries dropped to keep the read cache within cache_size", true,
                 static_cast<double>(cache.evictions)});
  out.push_back({"coffer_read_cache_written_through_total",
                 "values a committed write left in the read cache", true,
                 static_cast<double>(cache.written_through)});
  out.push_back({"coffer_read_cache_entries", "entries in the read cache", false,
                 static_cast<double>(cache.entries)});
  out.push_back({"coffer_read_cache_absent_keys", "keys the read cache knows do not exist",
                 false, static_cast<double>(cache.absent)});
  out.push_back({"coffer_barrier_decryptions_total",
                 "stored values decrypted (reads answered by the plaintext memo do not count)",
                 true, static_cast<double>(core.barrier().decryptions())});
  out.push_back({"coffer_core_mounts", "secrets engines and auth methods mounted", false,
                 static_cast<double>(core.router().Entries(false).size() +
                                     core.router().Entries(true).size())});
  return out;
}

std::string FormatValue(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string Prometheus(const std::vector<Metric>& metrics, const std::string& extra) {
  std::string text;
  for (const Metric& m : metrics) {
    text += "# HELP " + m.name + " " + m.help + "\n";
    text += "# TYPE " + m.name + (m.counter ? " counter\n" : " gauge\n");
    text += m.name + " " + FormatValue(m.value) + "\n";
  }
  text += extra;
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

// "coffer_wal_last_index" -> "coffer.wal.last_index": go-metrics names.
std::string DottedName(const std::string& name) {
  std::string out = name;
  size_t first = out.find('_');
  if (first != std::string::npos) out[first] = '.';
  size_t second = out.find('_', first + 1);
  if (second != std::string::npos) out[second] = '.';
  return out;
}

// The hook's Prometheus lines as gauges: "name value" and
// "name{labels} value"; comments and anything else are skipped.
void AppendHookGauges(const std::string& text, Json& gauges) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    std::string name = line.substr(0, space);
    size_t brace = name.find('{');
    Json labels = Json::object();
    if (brace != std::string::npos) {
      std::string inside = name.substr(brace + 1, name.size() - brace - 2);
      name.resize(brace);
      std::istringstream pairs(inside);
      std::string pair;
      while (std::getline(pairs, pair, ',')) {
        size_t eq = pair.find('=');
        if (eq == std::string::npos) continue;
        std::string value = pair.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
        labels[pair.substr(0, eq)] = value;
      }
    }
    char* end = nullptr;
    const std::string number = line.substr(space + 1);
    double value = std::strtod(number.c_str(), &end);
    if (end == number.c_str()) continue;
    gauges.push_back(Json{{"Name", DottedName(name)}, {"Value", value}, {"Labels", labels}});
  }
}

Json GoMetricsJson(const std::vector<Metric>& metrics, const std::string& extra) {
  Json gauges = Json::array();
  Json counters = Json::array();
  for (const Metric& m : metrics) {
    if (m.counter) {
      counters.push_back(Json{{"Name", DottedName(m.name)},
                              {"Count", m.value},
                              {"Rate", 0},
                              {"Sum", m.value},
                              {"Min", m.value},
                              {"Max", m.value},
                              {"Mean", m.value},
                              {"Stddev", 0},
                              {"Labels", Json::object()}});
    } else {
      gauges.push_back(
          Json{{"Name", DottedName(m.name)}, {"Value", m.value}, {"Labels", Json::object()}});
    }
  }
  AppendHookGauges(extra, gauges);
  return Json{{"Timestamp", FormatRfc3339(UnixSeconds())},
              {"Gauges", gauges},
              {"Points", Json::array()},
              {"Counters", counters},
              {"Samples", Json::array()}};
}

}  // namespace

std::vector<framework::Path> SysMetricsPaths(Core& core) {
  Core* c = &core;
  framework::Handler read = [c](const EngineRequest& req,
                                const framework::Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(auto format, GetString(req.data, "format"));
    const std::string f = format.value_or("");
    if (!f.empty() && f != "prometheus") {
      return InvalidArgument("unknown metrics format \"" + f + "\"");
    }
    const ReplicationHooks& hooks = c->replication_hooks();
    const std::string extra = hooks.metrics ? hooks.metrics() : "";
    std::vector<Metric> metrics = CoreMetrics(*c);
    if (f.empty()) return Response::RawJson(GoMetricsJson(metrics, extra));
    Response r;
    r.kind = Response::Kind::kRaw;
    r.status = 200;
    r.raw_content_type = kPrometheusType;
    r.raw_body = Prometheus(metrics, extra);
    return r;
  };
  framework::Path path{.pattern = "metrics",
                       .operations = {{Operation::kRead, read}},
                       .help = "The node's metrics (JSON, or Prometheus text with "
                               "?format=prometheus)."};
  return {std::move(path)};
}

}  // namespace coffer::core
