#include "cli/topology_file.h"

#include <gtest/gtest.h>

#include <string>

namespace coffer::cli {
namespace {

std::string ErrorOf(std::string_view text, std::optional<int> regions = std::nullopt) {
  auto parsed = ParseTopology(text, regions);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  return parsed.status().message();
}

TEST(TopologyFile, EveryBuiltinParses) {
  ASSERT_GE(BuiltinTopologies().size(), 5u);
  for (const BuiltinTopology& b : BuiltinTopologies()) {
    auto t = ParseTopology(b.text);
    ASSERT_TRUE(t.ok()) << b.name << ": " << t.status().message();
    EXPECT_EQ(t->name, b.name);
    EXPECT_FALSE(t->description.empty()) << b.name;
  }
}

TEST(TopologyFile, TwoDcHasTheSitesOfTheDesign) {
  const BuiltinTopology* two_dc = nullptr;
  for (const BuiltinTopology& b : BuiltinTopologies()) {
    if (b.name == "two-dc") two_dc = &b;
  }
  ASSERT_NE(two_dc, nullptr);
  auto t = ParseTopology(two_dc->text);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->clusters.size(), 4u);
  const ClusterSpec* perf = FindCluster(*t, "dc-b-perf");
  ASSERT_NE(perf, nullptr);
  EXPECT_EQ(perf->role, ClusterRole::kPerformance);
  EXPECT_EQ(perf->of, "dc-a-primary");
  EXPECT_EQ(FindCluster(*t, "dc-b-dr")->of, "dc-b-perf");
  EXPECT_EQ(FindCluster(*t, "nope"), nullptr);
}

constexpr char kRegional[] = R"({"name": "g", "description": "d", "regions": 3, "clusters": [
  {"name": "p", "site": "hub", "role": "primary"},
  {"name": "r{region}", "site": "s{region}", "role": "performance", "of": "p", "per_region": true},
  {"name": "r{region}-dr", "site": "s{region}", "role": "dr", "of": "r{region}", "per_region": true}
]})";

TEST(TopologyFile, RegionsExpandAndCanBeOverridden) {
  auto t = ParseTopology(kRegional);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->regions, 3);
  EXPECT_EQ(t->clusters.size(), 7u);
  ASSERT_NE(FindCluster(*t, "r3-dr"), nullptr);
  EXPECT_EQ(FindCluster(*t, "r3-dr")->of, "r3");
  EXPECT_EQ(FindCluster(*t, "r3-dr")->site, "s3");
  auto five = ParseTopology(kRegional, 5);
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(five->clusters.size(), 11u);
  EXPECT_NE(ErrorOf(kRegional, 0).find("-regions must be from 1 to 16"), std::string::npos);
  EXPECT_NE(ErrorOf(kRegional, 17).find("-regions"), std::string::npos);
  constexpr char kFlat[] = R"({"name": "f", "clusters": [{"name": "a", "site": "s", "role": "standalone"}]})";
  EXPECT_NE(ErrorOf(kFlat, 2).find("no per-region clusters"), std::string::npos);
}

TEST(TopologyFile, BadFilesGiveClearErrors) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"{\"name\": ", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"clusters": []})", "name: missing"},
      {R"({"name": "Big Name", "clusters": []})", "may hold only a-z"},
      {R"({"name": "x"})", "clusters: missing"},
      {R"({"name": "x", "clusters": []})", "non-empty array"},
      {R"({"name": "x", "clusters": {}})", "non-empty array"},
      {R"({"name": "x", "clusterz": []})", "clusterz: unknown field"},
      {R"({"name": "x", "clusters": [7]})", "clusters[0]: must be an object"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s"}]})", "clusters[0].role: missing"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "boss"}]})",
       "\"boss\" is not one of"},
      {R"({"name": "x", "clusters": [{"name": 1, "site": "s", "role": "primary"}]})",
       "clusters[0].name: must be a string"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary", "colour": 1}]})",
       "clusters[0].colour: unknown field"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "dr"}]})",
       "must name the cluster it replicates"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary", "of": "b"}]})",
       "replicates nothing"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary"},
          {"name": "a", "site": "t", "role": "primary"}]})", "used twice"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary"},
          {"name": "b", "site": "s", "role": "dr", "of": "c"}]})", "no cluster is named \"c\""},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "standalone"},
          {"name": "b", "site": "t", "role": "performance", "of": "a"}]})",
       "replicates a primary"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary"},
          {"name": "b", "site": "s", "role": "dr", "of": "a"},
          {"name": "c", "site": "s", "role": "dr", "of": "b"}]})", "replicates a primary or"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary"},
          {"name": "b", "site": "s", "role": "dr", "of": "a"},
          {"name": "c", "site": "t", "role": "dr", "of": "a"}]})", "already has a DR replica"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary"},
          {"name": "b", "site": "s", "role": "standalone"}]})", "exactly one cluster"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary"},
          {"name": "b", "site": "t", "role": "dr", "of": "a"}]})", "exactly one cluster"},
      {R"({"name": "x", "regions": 0, "clusters": [{"name": "a", "site": "s", "role": "primary"}]})",
       "regions: must be a whole number"},
      {R"({"name": "x", "regions": 2, "clusters": [{"name": "a", "site": "s", "role": "primary"}]})",
       "no cluster is per_region"},
      {R"({"name": "x", "regions": 2, "clusters": [{"name": "a", "site": "s{region}",
          "role": "primary", "per_region": true}]})", "used twice"},
      {R"({"name": "x", "clusters": [{"name": "a", "site": "s", "role": "primary",
          "per_region": "yes"}]})", "per_region: must be true or false"},
  };
  for (const Case& c : cases) {
    std::string error = ErrorOf(c.text);
    EXPECT_NE(error.find(c.error), std::string::npos) << c.text << " -> " << error;
  }
}

TEST(TopologyFile, TooManyClustersIsAnError) {
  std::string text = R"({"name": "x", "regions": 16, "clusters": [
    {"name": "p", "site": "p", "role": "primary"},
    {"name": "a{region}", "site": "a{region}", "role": "standalone", "per_region": true},
    {"name": "b{region}", "site": "b{region}", "role": "standalone", "per_region": true},
    {"name": "c{region}", "site": "c{region}", "role": "standalone", "per_region": true}]})";
  EXPECT_NE(ErrorOf(text).find("at most 40 clusters"), std::string::npos);
}

}  // namespace
}  // namespace coffer::cli
