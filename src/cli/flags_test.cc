#include "cli/flags.h"

#include <gtest/gtest.h>

namespace coffer::cli {
namespace {

using Args = std::vector<std::string>;

struct Fixture {
  std::string name = "default";
  bool verbose = false;
  int count = 5;
  std::vector<std::string> tags;
  FlagSet flags;
  Fixture() {
    flags.String("name", &name, "a name");
    flags.Bool("verbose", &verbose, "talk more");
    flags.Int("count", &count, "how many");
    flags.StringList("tag", &tags, "repeatable");
  }
};

TEST(FlagSetTest, AcceptsEverySpellingOfAValueFlag) {
  for (const Args& args :
       {Args{"-name=x"}, Args{"--name=x"}, Args{"-name", "x"}, Args{"--name", "x"}}) {
    Fixture f;
    auto pos = f.flags.Parse(args);
    ASSERT_TRUE(pos.ok()) << pos.status().ToString();
    EXPECT_EQ(f.name, "x");
    EXPECT_TRUE(pos->empty());
    EXPECT_TRUE(f.flags.IsSet("name"));
  }
}

TEST(FlagSetTest, ValueMayContainEqualsAndBeEmpty) {
  Fixture f;
  ASSERT_TRUE(f.flags.Parse({"-name=a=b"}).ok());
  EXPECT_EQ(f.name, "a=b");
  Fixture g;
  ASSERT_TRUE(g.flags.Parse({"-name="}).ok());
  EXPECT_EQ(g.name, "");
  EXPECT_TRUE(g.flags.IsSet("name"));
}

TEST(FlagSetTest, BoolFlagsNeverConsumeTheNextArgument) {
  Fixture f;
  auto pos = f.flags.Parse({"-verbose", "false"});
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(f.verbose);
  EXPECT_EQ(*pos, Args{"false"});
}

TEST(FlagSetTest, BoolFlagsTakeGoBoolValuesAfterEquals) {
  Fixture f;
  f.verbose = true;
  ASSERT_TRUE(f.flags.Parse({"-verbose=false"}).ok());
  EXPECT_FALSE(f.verbose);
  Fixture g;
  ASSERT_TRUE(g.flags.Parse({"--verbose=T"}).ok());
  EXPECT_TRUE(g.verbose);
  Fixture h;
  auto bad = h.flags.Parse({"-verbose=yes"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("-verbose"), std::string::npos);
}

TEST(FlagSetTest, IntFlagsRejectGarbageAndOverflow) {
  Fixture f;
  ASSERT_TRUE(f.flags.Parse({"-count=-3"}).ok());
  EXPECT_EQ(f.count, -3);
  for (const char* bad : {"-count=", "-count=3x", "-count=abc", "-count=99999999999"}) {
    Fixture g;
    EXPECT_FALSE(g.flags.Parse({bad}).ok()) << bad;
    EXPECT_EQ(g.count, 5) << bad;
  }
}

TEST(FlagSetTest, ListFlagsAccumulate) {
  Fixture f;
  ASSERT_TRUE(f.flags.Parse({"-tag=a", "-tag", "b"}).ok());
  EXPECT_EQ(f.tags, (Args{"a", "b"}));
}

TEST(FlagSetTest, ParsingStopsAtTheFirstPositional) {
  Fixture f;
  auto pos = f.flags.Parse({"-count=1", "path/x", "-name=late"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(f.count, 1);
  EXPECT_EQ(f.name, "default");
  EXPECT_EQ(*pos, (Args{"path/x", "-name=late"}));
}

TEST(FlagSetTest, DoubleDashEndsFlagsAndLoneDashIsPositional) {
  Fixture f;
  auto pos = f.flags.Parse({"-verbose", "--", "-name=x"});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, Args{"-name=x"});
  EXPECT_EQ(f.name, "default");
  Fixture g;
  auto pos2 = g.flags.Parse({"-", "x"});
  ASSERT_TRUE(pos2.ok());
  EXPECT_EQ(*pos2, (Args{"-", "x"}));
}

TEST(FlagSetTest, UnknownFlagIsAnError) {
  Fixture f;
  auto r = f.flags.Parse({"-nope=1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "flag provided but not defined: -nope");
}

TEST(FlagSetTest, MissingValueIsAnError) {
  Fixture f;
  auto r = f.flags.Parse({"-name"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "flag needs an argument: -name");
}

TEST(FlagSetTest, MalformedFlagSyntaxIsAnError) {
  for (const char* bad : {"---name=x", "-=x", "--=x"}) {
    Fixture f;
    EXPECT_FALSE(f.flags.Parse({bad}).ok()) << bad;
  }
}

TEST(FlagSetTest, HelpIsRequestedNotAnError) {
  for (const char* h : {"-h", "-help", "--help"}) {
    Fixture f;
    auto r = f.flags.Parse({"-count=2", h, "x"});
    ASSERT_TRUE(r.ok()) << h;
    EXPECT_TRUE(f.flags.help_requested()) << h;
    EXPECT_TRUE(r->empty());
  }
}

TEST(FlagSetTest, UnsetFlagsKeepDefaultsAndAreNotSet) {
  Fixture f;
  ASSERT_TRUE(f.flags.Parse({}).ok());
  EXPECT_EQ(f.count, 5);
  EXPECT_FALSE(f.flags.IsSet("count"));
  EXPECT_FALSE(f.flags.IsSet("no-such-flag"));
}

TEST(FlagSetTest, UsageListsFlagsInOrder) {
  Fixture f;
  std::string u = f.flags.Usage();
  size_t name = u.find("-name=<string>");
  size_t verbose = u.find("-verbose\n");
  size_t count = u.find("-count=<int>");
  ASSERT_NE(name, std::string::npos);
  ASSERT_NE(verbose, std::string::npos);
  ASSERT_NE(count, std::string::npos);
  EXPECT_LT(name, verbose);
  EXPECT_LT(verbose, count);
  EXPECT_NE(u.find("how many"), std::string::npos);
}

TEST(FlagSetTest, UsageShowsGroupHeadings) {
  std::string a, b, c;
  FlagSet flags;
  flags.SetGroup("Command Options");
  flags.String("a", &a, "first");
  flags.SetGroup("HTTP Options");
  flags.String("b", &b, "second");
  flags.String("c", &c, "third");
  std::string u = flags.Usage();
  EXPECT_EQ(u.rfind("Command Options:\n\n  -a=<string>", 0), 0u) << u;
  size_t http = u.find("HTTP Options:\n\n  -b=<string>");
  ASSERT_NE(http, std::string::npos) << u;
  EXPECT_EQ(u.find("HTTP Options:", http + 1), std::string::npos);
  EXPECT_LT(http, u.find("-c=<string>"));
}

}  // namespace
}  // namespace coffer::cli
