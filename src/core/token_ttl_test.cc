#include "core/token_ttl.h"

#include <gtest/gtest.h>

namespace coffer::core {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kSys = 768 * kHour;

TtlInputs Base() {
  TtlInputs in;
  in.system_default_ttl = kSys;
  in.system_max_ttl = kSys;
  return in;
}

TEST(TokenTtl, EffectiveDefaultsPreferTheMount) {
  EXPECT_EQ(EffectiveDefaultTtl(0, kSys), kSys);
  EXPECT_EQ(EffectiveDefaultTtl(60, kSys), 60);
  EXPECT_EQ(EffectiveMaxTtl(0, kSys), kSys);
  EXPECT_EQ(EffectiveMaxTtl(120, kSys), 120);
}

TEST(TokenTtl, InitialTable) {
  struct Case {
    const char* name;
    TtlInputs in;
    int64_t want;
    bool warns;
  };
  auto with = [](auto f) {
    TtlInputs in = Base();
    f(in);
    return in;
  };
  const Case cases[] = {
      {"system default", Base(), kSys, false},
      {"mount default", with([](TtlInputs& i) { i.mount_default_ttl = 600; }), 600, false},
      {"role ttl beats mount default",
       with([](TtlInputs& i) {
         i.mount_default_ttl = 600;
         i.role_ttl = 300;
       }),
       300, false},
      {"requested beats role",
       with([](TtlInputs& i) {
         i.role_ttl = 300;
         i.requested_ttl = 90;
       }),
       90, false},
      {"requested capped by system max",
       with([](TtlInputs& i) { i.requested_ttl = kSys + 1; }), kSys, true},
      {"requested capped by mount max",
       with([](TtlInputs& i) {
         i.mount_max_ttl = 1000;
         i.requested_ttl = 2000;
       }),
       1000, true},
      {"mount default above mount max is capped",
       with([](TtlInputs& i) {
         i.mount_default_ttl = 5000;
         i.mount_max_ttl = 1000;
       }),
       1000, true},
      {"role max caps", with([](TtlInputs& i) {
         i.requested_ttl = 500;
         i.role_max_ttl = 400;
       }),
       400, true},
      {"explicit max caps", with([](TtlInputs& i) {
         i.requested_ttl = 500;
         i.explicit_max_ttl = 200;
       }),
       200, true},
      {"explicit max above max changes nothing", with([](TtlInputs& i) {
         i.requested_ttl = 500;
         i.explicit_max_ttl = kSys * 2;
       }),
       500, false},
      {"period replaces ttl", with([](TtlInputs& i) {
         i.requested_ttl = 500;
         i.period = 100;
       }),
       100, false},
      {"period ignores mount max", with([](TtlInputs& i) {
         i.mount_max_ttl = 50;
         i.period = 100;
       }),
       100, false},
      {"period capped by explicit max", with([](TtlInputs& i) {
         i.period = 100;
         i.explicit_max_ttl = 60;
       }),
       60, true},
      {"no default anywhere", TtlInputs{}, 0, false},
      {"no default but a cap", TtlInputs{.explicit_max_ttl = 70}, 70, false},
  };
  for (const Case& c : cases) {
    TtlDecision d = InitialTtl(c.in);
    EXPECT_EQ(d.ttl, c.want) << c.name;
    EXPECT_EQ(!d.warning.empty(), c.warns) << c.name << ": " << d.warning;
  }
}

TEST(TokenTtl, CapWarningWording) {
  TtlInputs in = Base();
  in.mount_max_ttl = 3600;
  in.requested_ttl = 7200;
  EXPECT_EQ(InitialTtl(in).warning,
            "TTL of \"2h0m0s\" exceeded the effective max_ttl of \"1h0m0s\"; TTL value is "
            "capped accordingly");
}

RenewInputs Renewable() {
  RenewInputs in;
  in.now = 1000;
  in.creation_time = 0;
  in.creation_ttl = 600;
  in.current_ttl = 600;
  in.max_ttl = 10000;
  in.renewable = true;
  return in;
}

TEST(TokenTtl, RenewTable) {
  struct Case {
    const char* name;
    RenewInputs in;
    int64_t want;
  };
  auto with = [](auto f) {
    RenewInputs in = Renewable();
    f(in);
    return in;
  };
  const Case cases[] = {
      {"zero increment renews by the creation ttl", Renewable(), 600},
      {"increment from now", with([](RenewInputs& i) { i.increment = 300; }), 300},
      {"increment capped by remaining max",
       with([](RenewInputs& i) { i.increment = 50000; }), 9000},
      {"increment capped by remaining explicit max", with([](RenewInputs& i) {
         i.increment = 5000;
         i.explicit_max_ttl = 1500;
       }),
       500},
      {"periodic resets to the period", with([](RenewInputs& i) {
         i.period = 120;
         i.increment = 9999;
       }),
       120},
      {"periodic ignores the mount max", with([](RenewInputs& i) {
         i.period = 120;
         i.max_ttl = 500;
       }),
       120},
      {"periodic capped by explicit max", with([](RenewInputs& i) {
         i.period = 120;
         i.explicit_max_ttl = 1050;
       }),
       50},
  };
  for (const Case& c : cases) {
    auto r = RenewedTtl(c.in);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.name;
  }
}

TEST(TokenTtl, RenewRefusals) {
  RenewInputs in = Renewable();
  in.renewable = false;
  EXPECT_EQ(RenewedTtl(in).status(), InvalidArgument("lease is not renewable"));

  in = Renewable();
  in.current_ttl = 0;  // root-style non-expiring token
  EXPECT_EQ(RenewedTtl(in).status(),
            InvalidArgument("lease not found or lease is not renewable"));

  in = Renewable();
  in.explicit_max_ttl = 1000;  // now == creation + explicit max
  EXPECT_EQ(RenewedTtl(in).status(), InvalidArgument("lease expired"));
}

TEST(TokenTtl, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1714564800), "2024-05-01T12:00:00Z");
}

}  // namespace
}  // namespace coffer::core
