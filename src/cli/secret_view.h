// How client commands show an API response ("secret": the generic envelope
// with lease fields, data, auth and warnings), the way the vault CLI does:
//
//   table  Key/Value rows. A secret with a TTL and no lease id shows
//          refresh_interval; a leased one lease_id, lease_duration,
//          lease_renewable. An auth block shows token, token_accessor,
//          token_duration (∞ for 0), token_renewable, token_policies,
//          identity_policies, policies and token_meta_<k>. Then the data keys,
//          sorted, TTL-looking fields as durations. Empty values show "n/a".
//          Warnings go to stderr under a "WARNING!" heading.
//   json   the decoded response object, indented.
//   -field one raw value: no trailing newline unless stdout is a terminal.
//
// Thread-safety: pure functions, plus Output* helpers that write to one
// command's streams.
// Invariants: the Format* functions never write; tokens appear only where the
// response itself carries them (auth.client_token).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.h"
#include "cli/output.h"
#include "coffer/json.h"

namespace coffer::cli {

// The table rows of a response envelope (without heading).
std::vector<Row> SecretRows(const Json& secret);

// A Key/Value table of `secret`, "" when it has no rows.
std::string FormatSecretTable(const Json& secret);

// A Key/Value table of a plain object (sorted keys, TTLs as durations);
// "" for an empty or non-object value.
std::string FormatDataTable(const Json& data);

// The warnings block for stderr, "" when the response has no warnings.
std::string FormatWarnings(const Json& secret);

// "== title ==" centred over a width of `total_len` characters (at least
// two '=' on each side, an even count in all).
std::string PadEqualSigns(std::string_view title, size_t total_len);

// The section heading the kv commands print above a data table: as wide as
// the longest key plus "    Value".
std::string HeaderForMap(std::string_view title, const Json& data);

// A field of a response by the names the tables use (token, token_accessor,
// token_duration, token_renewable, token_policies, identity_policies,
// policies when an auth block is present; refresh_interval, lease_id,
// lease_duration, lease_renewable), else data[field]. nullopt when absent.
std::optional<Json> SecretField(const Json& secret, std::string_view field);

// The strings of a JSON array (other elements skipped); empty otherwise.
std::vector<std::string> StringItems(const Json& v);

// Whether the response is wrapped (carries wrap_info): commands with their
// own table (kv get, kv put) show it with OutputSecret instead, so the
// wrapping token is never lost.
bool IsWrapped(const Json& secret);

// Writes `secret` in the invocation's format (warnings to stderr in table
// mode). Returns 0.
int OutputSecret(Invocation& inv, const Json& secret);

// Writes a plain object: a data table, or JSON. Returns 0.
int OutputData(Invocation& inv, const Json& data);

// Writes one field's value raw (strings as they are, other values as Go's %v
// in table format or as JSON in json format). A missing value prints
// `Field "<field>" not present in secret` and returns 1.
int OutputField(Invocation& inv, const std::optional<Json>& value, std::string_view field);

// Writes data.keys of a list response: a "Keys" column in table format
// (sorted, underlined with "----"), a JSON array otherwise. Returns 0.
int OutputList(Invocation& inv, const Json& secret);

// The outcome of a list request as `list` and `kv list` show it: nothing
// there -> "No value found at <path>" (exit 2; "{}" in json format), a
// response without keys -> its warnings, else OutputList.
int PrintListResult(Invocation& inv, const std::optional<Json>& secret, const std::string& path);

// The response's data.keys when it is an array, else nullopt.
std::optional<Json> ListKeys(const Json& secret);

}  // namespace coffer::cli
