// sql_template: the database engine's statement templates, rendered safely.
//
// Role statements are SQL with placeholders ("{{name}}", "{{password}}",
// "{{expiration}}", ...). Rendering substitutes each placeholder with its
// value escaped for the lexical context it sits in, found by a small
// PostgreSQL lexer:
//
//   context of {{x}}                 identifier value      literal value
//   plain SQL        CREATE ROLE {{x}}    "v-a""b"             'it''s'  (E'..' if '\')
//   "..." identifier "{{x}}"              v-a""b               it''s
//   '...' string     '{{x}}'              v-a''b               it''s
//   E'...' string    E'{{x}}'             v-a''b (\ doubled)   it''s (\ doubled)
//   $tag$ ... $tag$  refused when the value contains '$'
//   -- or /* */      left as written (a comment executes nothing)
//
// A value is never concatenated unescaped, and a value holding a NUL byte is
// refused. '...' strings assume standard_conforming_strings = on, which the
// PostgreSQL client sets on every connection it opens.
//
// One template may hold several statements separated by ';'; rendering splits
// at the ';' that end statements (not those inside strings, identifiers,
// dollar quotes or comments) and drops empty pieces.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"

namespace coffer::engines::sql {

enum class ValueKind {
  kIdentifier,  // a role or object name: "name", "username"
  kLiteral,     // a string constant: "password", "expiration"
};

struct TemplateValue {
  std::string text;
  ValueKind kind = ValueKind::kLiteral;
};

// Placeholder key (without braces) -> value. Placeholders whose key is not in
// the map are left as written.
using TemplateValues = std::map<std::string, TemplateValue, std::less<>>;

// "v-a""b": a double-quoted identifier, as PQescapeIdentifier makes it.
std::string QuoteIdentifier(std::string_view value);

// 'it''s', or E'a\\b' when the value holds a backslash (so it reads the same
// whatever standard_conforming_strings says), as PQescapeLiteral makes it.
std::string QuoteLiteral(std::string_view value);

// Renders one template and splits it into statements (see above).
// InvalidArgument for an unterminated quote or comment, a NUL in a value, or
// a value that cannot sit inside a dollar-quoted string.
Result<std::vector<std::string>> RenderStatements(std::string_view sql,
                                                  const TemplateValues& values);

// The stored forms of a statement list, as Vault's plugins accept them: each
// entry is SQL text, base64 of SQL text, a JSON array of SQL strings, or
// base64 of such an array. Returns the SQL texts (each may still hold several
// ';'-separated statements), in order.
std::vector<std::string> ExpandStatementEntries(const std::vector<std::string>& entries);

// ExpandStatementEntries, then RenderStatements on each text, concatenated.
Result<std::vector<std::string>> RenderStatementList(const std::vector<std::string>& entries,
                                                     const TemplateValues& values);

}  // namespace coffer::engines::sql
