#include "cli/seal_status_view.h"

#include <string>

#include "cli/reply_fields.h"

namespace coffer::cli {
namespace {

std::string BoolText(bool b) { return b ? "true" : "false"; }

}  // namespace

std::vector<Row> SealStatusRows(const Json& s, const Json& leader) {
  std::vector<Row> rows;
  rows.push_back({"Seal Type", StringField(s, "type")});
  if (BoolField(s, "recovery_seal") && !StringField(s, "recovery_seal_type").empty()) {
    rows.push_back({"Recovery Seal Type", StringField(s, "recovery_seal_type")});
  }
  rows.push_back({"Initialized", BoolText(BoolField(s, "initialized"))});
  bool sealed = BoolField(s, "sealed");
  rows.push_back({"Sealed", BoolText(sealed)});
  rows.push_back({"Total Shares", std::to_string(IntField(s, "n"))});
  rows.push_back({"Threshold", std::to_string(IntField(s, "t"))});
  if (sealed) {
    rows.push_back({"Unseal Progress", std::to_string(IntField(s, "progress")) + "/" +
                                           std::to_string(IntField(s, "t"))});
    std::string nonce = StringField(s, "nonce");
    rows.push_back({"Unseal Nonce", nonce.empty() ? "n/a" : nonce});
  }
  if (BoolField(s, "migration")) rows.push_back({"Seal Migration in Progress", "true"});
  rows.push_back({"Version", StringField(s, "version")});
  rows.push_back({"Build Date", StringField(s, "build_date")});
  rows.push_back({"Storage Type", StringField(s, "storage_type")});
  if (!StringField(s, "cluster_name").empty())
    rows.push_back({"Cluster Name", StringField(s, "cluster_name")});
  if (!StringField(s, "cluster_id").empty())
    rows.push_back({"Cluster ID", StringField(s, "cluster_id")});
  if (leader.is_object()) {
    bool ha = BoolField(leader, "ha_enabled");
    rows.push_back({"HA Enabled", BoolText(ha)});
    if (ha) {
      std::string cluster = StringField(leader, "leader_cluster_address");
      rows.push_back({"HA Cluster", cluster.empty() ? "n/a" : cluster});
      bool active = BoolField(leader, "is_self");
      rows.push_back({"HA Mode", active ? "active" : "standby"});
      std::string since = StringField(leader, "active_time");
      if (active && !since.empty() && since.rfind("0001-01-01", 0) != 0) {
        rows.push_back({"Active Since", since});
      }
    }
  }
  return rows;
}

Json SealStatusJson(const Json& seal_status, const Json& leader) {
  Json out = seal_status.is_object() ? seal_status : Json::object();
  if (leader.is_object()) {
    for (const auto& [k, v] : leader.items()) {
      if (!out.contains(k)) out[k] = v;
    }
  } else {
    out["ha_enabled"] = false;
  }
  return out;
}

}  // namespace coffer::cli
