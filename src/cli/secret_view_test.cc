#include "cli/secret_view.h"

#include <gtest/gtest.h>

#include "cli/fake_server_for_test.h"
#include "cli/output.h"

namespace coffer::cli {
namespace {

TEST(HumanDurationTest, DropsTrailingZeroUnits) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(45), "45s");
  EXPECT_EQ(HumanDuration(60), "1m");
  EXPECT_EQ(HumanDuration(90), "1m30s");
  EXPECT_EQ(HumanDuration(3600), "1h");
  EXPECT_EQ(HumanDuration(3630), "1h30s");
  EXPECT_EQ(HumanDuration(5400), "1h30m");
  EXPECT_EQ(HumanDuration(2764800), "768h");
  EXPECT_EQ(HumanDuration(2764799), "767h59m59s");
}

TEST(LooksLikeDurationTest, TtlNames) {
  for (const char* k : {"ttl", "creation_ttl", "explicit_max_ttl", "period", "token_period",
                        "duration", "lease_duration", "lease_max", "ttl_max"}) {
    EXPECT_TRUE(LooksLikeDuration(k)) << k;
  }
  for (const char* k : {"ttls", "ttl_seconds", "periodic", "num_uses", "expire_time"}) {
    EXPECT_FALSE(LooksLikeDuration(k)) << k;
  }
  EXPECT_EQ(TableValue("creation_ttl", 2764800), "768h");
  EXPECT_EQ(TableValue("ttl", "1h"), "1h");  // strings are shown as they are
  EXPECT_EQ(TableValue("num_uses", 3600), "3600");
}

TEST(FormatColumnsTest, UnderlinesHeadingsAndFillsEmptyCells) {
  EXPECT_EQ(FormatColumns({{"Path", "Type", "Description"},
                           {"cubbyhole/", "cubbyhole", "per-token private secret storage"},
                           {"kv1/", "kv", ""}}),
            "Path          Type         Description\n"
            "----          ----         -----------\n"
            "cubbyhole/    cubbyhole    per-token private secret storage\n"
            "kv1/          kv           n/a\n");
}

TEST(QuotedListTest, GoQuotedSliceSyntax) {
  EXPECT_EQ(QuotedList({}), "[]");
  EXPECT_EQ(QuotedList({"default", "root"}), "[\"default\" \"root\"]");
  EXPECT_EQ(QuotedList({"a\"b"}), "[\"a\\\"b\"]");
}

TEST(SecretRowsTest, RefreshIntervalThenSortedDataWithNa) {
  Json secret = {{"lease_id", ""},
                 {"lease_duration", 2764800},
                 {"renewable", false},
                 {"data", {{"zeta", "z"}, {"alpha", ""}, {"n", nullptr}, {"list", {"a", "b"}}}}};
  EXPECT_EQ(FormatSecretTable(secret),
            "Key                 Value\n"
            "---                 -----\n"
            "refresh_interval    768h\n"
            "alpha               n/a\n"
            "list                [a b]\n"
            "n                   <nil>\n"
            "zeta                z\n");
}

TEST(SecretRowsTest, LeasedSecretShowsLeaseRows) {
  Json secret = {{"lease_id", "database/creds/ro/abc"},
                 {"lease_duration", 3600},
                 {"renewable", true},
                 {"data", {{"username", "u"}}}};
  std::vector<Row> rows = SecretRows(secret);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].key, "lease_id");
  EXPECT_EQ(rows[1].value, "1h");
  EXPECT_EQ(rows[2].key, "lease_renewable");
  EXPECT_EQ(rows[2].value, "true");
}

TEST(SecretRowsTest, AuthBlockRows) {
  Json secret = {{"lease_duration", 0},
                 {"data", nullptr},
                 {"auth",
                  {{"client_token", "hvs.T"},
                   {"accessor", "acc"},
                   {"policies", {"default", "web"}},
                   {"token_policies", {"default", "web"}},
                   {"lease_duration", 0},
                   {"renewable", false}}}};
  EXPECT_EQ(FormatSecretTable(secret),
            "Key                  Value\n"
            "---                  -----\n"
            "token                hvs.T\n"
            "token_accessor       acc\n"
            "token_duration       ∞\n"
            "token_renewable      false\n"
            "token_policies       [\"default\" \"web\"]\n"
            "identity_policies    []\n"
            "policies             [\"default\" \"web\"]\n");
  secret["auth"]["metadata"] = {{"username", "bob"}};
  secret["auth"]["lease_duration"] = 2764800;
  std::vector<Row> with_meta = SecretRows(secret);
  ASSERT_EQ(with_meta.size(), 8u);
  EXPECT_EQ(with_meta[2].value, "768h");
  EXPECT_EQ(with_meta[7].key, "token_meta_username");
  EXPECT_EQ(with_meta[7].value, "bob");
}

TEST(SecretRowsTest, NothingToShowIsEmpty) {
  EXPECT_EQ(FormatSecretTable(Json{{"lease_duration", 0}, {"data", nullptr}}), "");
  EXPECT_EQ(FormatSecretTable(Json("not an object")), "");
}

TEST(SecretFieldTest, AuthLeaseAndDataNames) {
  Json secret = {{"lease_id", "l1"},
                 {"lease_duration", 60},
                 {"renewable", true},
                 {"data", {{"foo", "bar"}}},
                 {"auth", {{"client_token", "t"}, {"policies", {"p"}}}}};
  EXPECT_EQ(*SecretField(secret, "token"), "t");
  EXPECT_EQ(*SecretField(secret, "policies"), Json({"p"}));
  EXPECT_EQ(*SecretField(secret, "lease_id"), "l1");
  EXPECT_EQ(*SecretField(secret, "refresh_interval"), 60);
  EXPECT_EQ(*SecretField(secret, "lease_renewable"), true);
  EXPECT_EQ(*SecretField(secret, "foo"), "bar");
  EXPECT_FALSE(SecretField(secret, "missing").has_value());
}

TEST(HeaderTest, PadEqualSignsMatchesKvLayout) {
  EXPECT_EQ(PadEqualSigns("Secret Path", 17), "== Secret Path ==");
  EXPECT_EQ(PadEqualSigns("Secret Path", 5), "== Secret Path ==");
  EXPECT_EQ(HeaderForMap("Metadata", Json{{"custom_metadata", 1}, {"version", 1}}),
            "======= Metadata =======");
  EXPECT_EQ(HeaderForMap("Data", Json{{"passcode", 1}}), "====== Data ======");
}

TEST(WarningsTest, WrappedUnderHeading) {
  EXPECT_EQ(FormatWarnings(Json{{"warnings", nullptr}}), "");
  std::string long_warning(30, 'a');
  long_warning += " " + std::string(30, 'b') + " " + std::string(30, 'c');
  EXPECT_EQ(FormatWarnings(Json{{"warnings", {"short one", long_warning}}}),
            "WARNING! The following warnings were returned from Vault:\n\n"
            "  * short one\n\n"
            "  * " +
                std::string(30, 'a') + " " + std::string(30, 'b') +
                "\n"
                "  " +
                std::string(30, 'c') + "\n\n");
}

TEST(OutputFieldTest, RawValueWithoutNewlineUnlessTerminal) {
  testing::FakeServer s;
  Invocation inv(s.ctx(), "usage");
  ASSERT_FALSE(inv.Parse({}).has_value());
  EXPECT_EQ(OutputField(inv, Json("v1"), "f"), 0);
  EXPECT_EQ(OutputField(inv, Json({"a", "b"}), "f"), 0);
  EXPECT_EQ(s.out(), "v1[a b]");
  EXPECT_EQ(OutputField(inv, std::nullopt, "nope"), 1);
  EXPECT_EQ(s.err(), "Field \"nope\" not present in secret\n");

  testing::FakeServer t;
  t.ctx().out_is_terminal = true;
  Invocation tty(t.ctx(), "usage");
  ASSERT_FALSE(tty.Parse({"-format=json"}).has_value());
  EXPECT_EQ(OutputField(tty, Json({{"k", 1}}), "f"), 0);
  EXPECT_EQ(t.out(), "{\n  \"k\": 1\n}\n");
}

}  // namespace
}  // namespace coffer::cli
