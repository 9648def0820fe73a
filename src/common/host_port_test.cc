#include "common/host_port.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

TEST(SplitHostPort, SplitsNamesAndLiterals) {
  auto a = SplitHostPort("coffer-a.example.internal:8201");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "coffer-a.example.internal");
  EXPECT_EQ(a->port, 8201);
  auto b = SplitHostPort("[::1]:8200");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "[::1]");  // brackets kept: host + ":" + port is a target again
  EXPECT_EQ(b->port, 8200);
  auto c = SplitHostPort("[fe80::1%eth0]:1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "[fe80::1%eth0]");
}

TEST(SplitHostPort, RulesForListenAddresses) {
  EXPECT_FALSE(SplitHostPort("0.0.0.0:0").ok());
  EXPECT_FALSE(SplitHostPort(":8200").ok());
  HostPortRules listen{.allow_zero_port = true, .allow_empty_host = true};
  auto any = SplitHostPort("0.0.0.0:0", listen);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->port, 0);
  auto all = SplitHostPort(":8200", listen);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->host, "");
}

TEST(SplitHostPort, RejectsGarbage) {
  for (const char* bad : {"", "host", "host:", "host:65536", "host:-1", "host:8a", "::1:8200",
                          "[::1]", "[::1]8200", "[]:1", "[zz::1]:1", "ho st:1", "a/b:1",
                          "host:123456"}) {
    auto r = SplitHostPort(bad, {.allow_zero_port = true, .allow_empty_host = true});
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace coffer
