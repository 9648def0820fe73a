#include "cli/topology_file.h"

#include <algorithm>
#include <map>
#include <set>

#include "coffer/json.h"

namespace coffer::cli {
namespace {

constexpr size_t kMaxNameLength = 40;
constexpr std::string_view kRegionPlaceholder = "{region}";

Status FieldError(const std::string& field, const std::string& what) {
  return InvalidArgument("topology: " + field + ": " + what);
}

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

Status CheckName(const std::string& field, const std::string& value) {
  if (value.empty() || value.size() > kMaxNameLength) {
    return FieldError(field, "must be 1 to " + std::to_string(kMaxNameLength) + " characters");
  }
  if (!std::all_of(value.begin(), value.end(), IsNameChar)) {
    return FieldError(field, "\"" + value + "\" may hold only a-z, 0-9 and '-'");
  }
  return Status::Ok();
}

Result<std::string> StringMember(const Json& obj, const std::string& field, const char* key,
                                 bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return FieldError(field + "." + key, "missing");
    return std::string();
  }
  if (!it->is_string()) return FieldError(field + "." + key, "must be a string");
  return it->get<std::string>();
}

Status CheckKeys(const Json& obj, const std::string& field,
                 std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return FieldError(field.empty() ? it.key() : field + "." + it.key(), "unknown field");
    }
  }
  return Status::Ok();
}

std::string ReplaceRegion(std::string text, int region) {
  std::string number = std::to_string(region);
  for (size_t at = text.find(kRegionPlaceholder); at != std::string::npos;
       at = text.find(kRegionPlaceholder, at + number.size())) {
    text.replace(at, kRegionPlaceholder.size(), number);
  }
  return text;
}

struct Entry {
  ClusterSpec spec;
  bool per_region = false;
};

Result<Entry> ParseEntry(const Json& item, const std::string& field) {
  if (!item.is_object()) return FieldError(field, "must be an object");
  RETURN_IF_ERROR(CheckKeys(item, field, {"name", "site", "role", "of", "per_region"}));
  Entry entry;
  ASSIGN_OR_RETURN(entry.spec.name, StringMember(item, field, "name", true));
  ASSIGN_OR_RETURN(entry.spec.site, StringMember(item, field, "site", true));
  ASSIGN_OR_RETURN(std::string role, StringMember(item, field, "role", true));
  ASSIGN_OR_RETURN(entry.spec.of, StringMember(item, field, "of", false));
  auto parsed_role = RoleFromName(role);
  if (!parsed_role) {
    return FieldError(field + ".role",
                      "\"" + role + "\" is not one of primary, performance, dr, standalone");
  }
  entry.spec.role = *parsed_role;
  if (auto it = item.find("per_region"); it != item.end()) {
    if (!it->is_boolean()) return FieldError(field + ".per_region", "must be true or false");
    entry.per_region = it->get<bool>();
  }
  bool needs_of = entry.spec.role == ClusterRole::kPerformance || entry.spec.role == ClusterRole::kDr;
  if (needs_of && entry.spec.of.empty()) {
    return FieldError(field + ".of", "a " + role + " cluster must name the cluster it replicates");
  }
  if (!needs_of && item.contains("of")) {
    return FieldError(field + ".of", "a " + role + " cluster replicates nothing");
  }
  return entry;
}

// Checks the cross-references of the expanded cluster list.
Status CheckGraph(const std::vector<ClusterSpec>& clusters) {
  std::map<std::string, const ClusterSpec*> by_name;
  for (const ClusterSpec& c : clusters) {
    RETURN_IF_ERROR(CheckName("cluster name", c.name));
    RETURN_IF_ERROR(CheckName("site of " + c.name, c.site));
    if (!by_name.emplace(c.name, &c).second) {
      return FieldError("clusters", "the name \"" + c.name + "\" is used twice");
    }
  }
  std::set<std::string> has_dr;
  std::map<std::string, int> active_per_site;
  for (const ClusterSpec& c : clusters) {
    if (c.role != ClusterRole::kDr) ++active_per_site[c.site];
    if (c.of.empty()) continue;
    auto it = by_name.find(c.of);
    if (it == by_name.end()) {
      return FieldError(c.name + ".of", "no cluster is named \"" + c.of + "\"");
    }
    ClusterRole upstream = it->second->role;
    if (c.role == ClusterRole::kPerformance && upstream != ClusterRole::kPrimary) {
      return FieldError(c.name + ".of", "a performance replica replicates a primary, and \"" +
                                            c.of + "\" is " + std::string(RoleName(upstream)));
    }
    if (c.role == ClusterRole::kDr && upstream != ClusterRole::kPrimary &&
        upstream != ClusterRole::kPerformance) {
      return FieldError(c.name + ".of", "a DR replica replicates a primary or a performance "
                                        "replica, and \"" + c.of + "\" is " +
                                            std::string(RoleName(upstream)));
    }
    if (c.role == ClusterRole::kDr && !has_dr.insert(c.of).second) {
      return FieldError(c.name + ".of", "\"" + c.of + "\" already has a DR replica");
    }
  }
  for (const ClusterSpec& c : clusters) {
    if (active_per_site[c.site] != 1) {
      return FieldError("site " + c.site,
                        "must hold exactly one cluster that is not a DR replica, it holds " +
                            std::to_string(active_per_site[c.site]));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view RoleName(ClusterRole role) {
  switch (role) {
    case ClusterRole::kPrimary: return "primary";
    case ClusterRole::kPerformance: return "performance";
    case ClusterRole::kDr: return "dr";
    case ClusterRole::kStandalone: return "standalone";
  }
  return "standalone";
}

std::optional<ClusterRole> RoleFromName(std::string_view name) {
  for (ClusterRole r : {ClusterRole::kPrimary, ClusterRole::kPerformance, ClusterRole::kDr,
                        ClusterRole::kStandalone}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

Result<Topology> ParseTopology(std::string_view text, std::optional<int> regions) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("topology: not valid JSON");
  if (!doc.is_object()) return InvalidArgument("topology: must be a JSON object");
  RETURN_IF_ERROR(CheckKeys(doc, "", {"name", "description", "regions", "clusters"}));
  Topology topology;
  ASSIGN_OR_RETURN(topology.name, StringMember(doc, "topology", "name", true));
  RETURN_IF_ERROR(CheckName("name", topology.name));
  ASSIGN_OR_RETURN(topology.description, StringMember(doc, "topology", "description", false));

  int file_regions = 0;
  if (auto it = doc.find("regions"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxRegions) {
      return FieldError("regions", "must be a whole number from 1 to " +
                                       std::to_string(kMaxRegions));
    }
    file_regions = it->get<int>();
  }
  auto clusters = doc.find("clusters");
  if (clusters == doc.end()) return FieldError("clusters", "missing");
  if (!clusters->is_array() || clusters->empty()) {
    return FieldError("clusters", "must be a non-empty array");
  }
  std::vector<Entry> entries;
  bool any_per_region = false;
  for (size_t i = 0; i < clusters->size(); ++i) {
    ASSIGN_OR_RETURN(Entry e, ParseEntry((*clusters)[i], "clusters[" + std::to_string(i) + "]"));
    any_per_region = any_per_region || e.per_region;
    entries.push_back(std::move(e));
  }
  if (regions) {
    if (!any_per_region) {
      return InvalidArgument("topology " + topology.name + " has no per-region clusters: "
                             "-regions does not apply");
    }
    if (*regions < 1 || *regions > kMaxRegions) {
      return InvalidArgument("-regions must be from 1 to " + std::to_string(kMaxRegions));
    }
  }
  if (any_per_region) {
    topology.regions = regions ? *regions : (file_regions > 0 ? file_regions : 1);
  } else if (file_regions > 0) {
    return FieldError("regions", "set, but no cluster is per_region");
  }
  for (const Entry& e : entries) {
    if (!e.per_region) {
      topology.clusters.push_back(e.spec);
      continue;
    }
    for (int r = 1; r <= topology.regions; ++r) {
      ClusterSpec spec = e.spec;
      spec.name = ReplaceRegion(spec.name, r);
      spec.site = ReplaceRegion(spec.site, r);
      spec.of = ReplaceRegion(spec.of, r);
      topology.clusters.push_back(std::move(spec));
    }
  }
  if (topology.clusters.size() > kMaxClusters) {
    return FieldError("clusters", "at most " + std::to_string(kMaxClusters) + " clusters");
  }
  RETURN_IF_ERROR(CheckGraph(topology.clusters));
  return topology;
}

const ClusterSpec* FindCluster(const Topology& topology, std::string_view name) {
  for (const ClusterSpec& c : topology.clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace coffer::cli
