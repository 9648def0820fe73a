#include "cli/topology_state.h"

#include <fstream>
#include <sstream>

#include "cli/token_file.h"
#include "coffer/json.h"

namespace coffer::cli {
namespace {

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("no topology state at " + path + " (is a topology up there?)");
  std::stringstream buf;
  buf << in.rdbuf();
  Json doc = Json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgument(path + ": not a JSON object");
  return doc;
}

}  // namespace

ClusterState* TopologyState::Find(std::string_view name) {
  for (ClusterState& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

ClusterState* TopologyState::ActiveOf(std::string_view site) {
  for (ClusterState& c : clusters) {
    if (c.site == site && c.role != ClusterRole::kDr && c.condition == "running") return &c;
  }
  return nullptr;
}

ClusterState* TopologyState::DrReplicaOf(std::string_view name) {
  for (ClusterState& c : clusters) {
    if (c.role == ClusterRole::kDr && c.of == name && c.condition == "running") return &c;
  }
  return nullptr;
}

std::string StatePath(const std::string& dir) { return dir + "/state.json"; }
std::string SecretsPath(const std::string& dir) { return dir + "/secrets.json"; }

Status SaveState(const TopologyState& state) {
  Json doc = {{"topology", state.topology}, {"dir", state.dir}, {"binary", state.binary},
              {"supervisor_pid", state.supervisor_pid}, {"clusters", Json::array()}};
  Json secrets = {{"clusters", Json::object()}};
  for (const ClusterState& c : state.clusters) {
    doc["clusters"].push_back({{"name", c.name},
                               {"site", c.site},
                               {"role", RoleName(c.role)},
                               {"of", c.of},
                               {"api_addr", c.api_addr()},
                               {"cluster_addr", c.cluster_addr()},
                               {"api_port", c.api_port},
                               {"cluster_port", c.cluster_port},
                               {"dir", c.dir},
                               {"pid", c.pid},
                               {"condition", c.condition}});
    secrets["clusters"][c.name] = {{"keys", c.keys},
                                   {"root_token", c.root_token},
                                   {"dr_operation_token", c.dr_operation_token}};
  }
  RETURN_IF_ERROR(WritePrivateFile(SecretsPath(state.dir), secrets.dump(2) + "\n"));
  return WritePrivateFile(StatePath(state.dir), doc.dump(2) + "\n");
}

Result<TopologyState> LoadState(const std::string& dir) {
  ASSIGN_OR_RETURN(Json doc, ReadJsonFile(StatePath(dir)));
  ASSIGN_OR_RETURN(Json secrets, ReadJsonFile(SecretsPath(dir)));
  TopologyState state;
  try {
    state.topology = doc.at("topology").get<std::string>();
    state.dir = dir;
    state.binary = doc.at("binary").get<std::string>();
    state.supervisor_pid = doc.value("supervisor_pid", 0);
    for (const Json& j : doc.at("clusters")) {
      ClusterState c;
      c.name = j.at("name").get<std::string>();
      c.site = j.at("site").get<std::string>();
      auto role = RoleFromName(j.at("role").get<std::string>());
      if (!role) return InvalidArgument(StatePath(dir) + ": bad role for " + c.name);
      c.role = *role;
      c.of = j.at("of").get<std::string>();
      c.api_port = j.at("api_port").get<int>();
      c.cluster_port = j.at("cluster_port").get<int>();
      c.dir = j.at("dir").get<std::string>();
      c.pid = j.at("pid").get<pid_t>();
      c.condition = j.at("condition").get<std::string>();
      const Json& s = secrets.at("clusters").at(c.name);
      c.keys = s.at("keys").get<std::vector<std::string>>();
      c.root_token = s.at("root_token").get<std::string>();
      c.dr_operation_token = s.at("dr_operation_token").get<std::string>();
      state.clusters.push_back(std::move(c));
    }
  } catch (const Json::exception& e) {
    return InvalidArgument(dir + ": malformed topology state (" + e.what() + ")");
  }
  return state;
}

}  // namespace coffer::cli
