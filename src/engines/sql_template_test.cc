#include "engines/sql_template.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace coffer::engines::sql {
namespace {

TemplateValues Values(std::string name, std::string password) {
  return TemplateValues{{"name", {std::move(name), ValueKind::kIdentifier}},
                        {"password", {std::move(password), ValueKind::kLiteral}}};
}

std::vector<std::string> Render(std::string_view sql, const TemplateValues& v) {
  Result<std::vector<std::string>> r = RenderStatements(sql, v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<std::string>{};
}

TEST(SqlTemplateTest, QuoteIdentifierDoublesQuotes) {
  EXPECT_EQ(QuoteIdentifier("v-a"), "\"v-a\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier(""), "\"\"");
}

TEST(SqlTemplateTest, QuoteLiteralDoublesQuotesAndUsesEStringForBackslashes) {
  EXPECT_EQ(QuoteLiteral("abc"), "'abc'");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral("a\\b'c"), " E'a\\\\b''c'");
}

TEST(SqlTemplateTest, SubstitutesByContext) {
  TemplateValues v = Values("x\"y", "p'w");
  EXPECT_EQ(Render("CREATE ROLE \"{{name}}\" PASSWORD '{{password}}'", v),
            std::vector<std::string>{"CREATE ROLE \"x\"\"y\" PASSWORD 'p''w'"});
  // Unquoted placeholders become complete quoted tokens.
  EXPECT_EQ(Render("CREATE ROLE {{name}} PASSWORD {{password}}", v),
            std::vector<std::string>{"CREATE ROLE \"x\"\"y\" PASSWORD 'p''w'"});
  // In an E'' string backslashes are escapes too.
  EXPECT_EQ(Render("SELECT E'{{password}}'", Values("n", "a\\'")),
            std::vector<std::string>{"SELECT E'a\\\\'''"});
  // An identifier inside a string literal is escaped as a literal.
  EXPECT_EQ(Render("COMMENT ON ROLE r IS 'made for {{name}}'", Values("o'k", "")),
            std::vector<std::string>{"COMMENT ON ROLE r IS 'made for o''k'"});
}

TEST(SqlTemplateTest, InjectionAttemptsStayInsideTheirToken) {
  TemplateValues v = Values("a\"; DROP TABLE t; --", "x'; DROP TABLE t; --");
  std::vector<std::string> out =
      Render("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}';", v);
  ASSERT_EQ(out.size(), 1u);  // the ';' inside the values split nothing
  EXPECT_EQ(out[0],
            "CREATE ROLE \"a\"\"; DROP TABLE t; --\" WITH LOGIN PASSWORD "
            "'x''; DROP TABLE t; --'");
}

TEST(SqlTemplateTest, SplitsOnlyAtStatementEnds) {
  TemplateValues none;
  EXPECT_EQ(Render("A; B;;  ; C", none), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(Render("SELECT ';'; SELECT \";\"", none),
            (std::vector<std::string>{"SELECT ';'", "SELECT \";\""}));
  EXPECT_EQ(Render("DO $$ BEGIN PERFORM 1; END $$; SELECT 2", none),
            (std::vector<std::string>{"DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"}));
  EXPECT_EQ(Render("DO $fn$ a; $$ b; $fn$; X", none),
            (std::vector<std::string>{"DO $fn$ a; $$ b; $fn$", "X"}));
  EXPECT_EQ(Render("A -- c; d\n; B /* x; /* y; */ z; */ ; C", none),
            (std::vector<std::string>{"A -- c; d", "B /* x; /* y; */ z; */", "C"}));
  EXPECT_EQ(Render("SELECT 'it''s; fine'; B", none),
            (std::vector<std::string>{"SELECT 'it''s; fine'", "B"}));
  EXPECT_EQ(Render("SELECT $1; SELECT a$b", none),
            (std::vector<std::string>{"SELECT $1", "SELECT a$b"}));
}

TEST(SqlTemplateTest, CommentsAndUnknownPlaceholdersAreLeftAsWritten) {
  TemplateValues v = Values("n", "p");
  EXPECT_EQ(Render("-- {{password}}\nSELECT {{other}}", v),
            std::vector<std::string>{"-- {{password}}\nSELECT {{other}}"});
}

TEST(SqlTemplateTest, RefusesWhatCannotBeEscaped) {
  auto nul = RenderStatements("SELECT {{password}}", Values("n", std::string("a\0b", 3)));
  EXPECT_EQ(nul.status().code(), Code::kInvalidArgument);
  auto dollar = RenderStatements("DO $$ {{password}} $$", Values("n", "a$$b"));
  EXPECT_EQ(dollar.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(dollar.status().message().find("a$$b"), std::string::npos);  // value not echoed
  EXPECT_TRUE(RenderStatements("DO $$ {{password}} $$", Values("n", "ab")).ok());
}

TEST(SqlTemplateTest, UnterminatedTokensAreErrors) {
  for (const char* bad : {"SELECT 'abc", "CREATE ROLE \"x", "DO $$ x", "A /* b"}) {
    EXPECT_EQ(RenderStatements(bad, {}).status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(RenderStatements("A -- unterminated line comment is fine", {}).ok());
}

TEST(SqlTemplateTest, ExpandsVaultStatementForms) {
  const std::string sql = "CREATE ROLE \"{{name}}\"; GRANT x TO \"{{name}}\";";
  const std::string json = "[\"A;\", \"B\"]";
  std::vector<std::string> out = ExpandStatementEntries(
      {sql, crypto::Base64Encode(sql), json, crypto::Base64Encode(json), "ROLLBACK"});
  EXPECT_EQ(out, (std::vector<std::string>{sql, sql, "A;", "B", "A;", "B", "ROLLBACK"}));

  auto rendered = RenderStatementList({crypto::Base64Encode(sql)}, Values("u", ""));
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(*rendered, (std::vector<std::string>{"CREATE ROLE \"u\"", "GRANT x TO \"u\""}));
}

}  // namespace
}  // namespace coffer::engines::sql
