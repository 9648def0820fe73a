// Weakly typed field access for request bodies, the way Vault's framework
// coerces fields.
//
// Clients send the same field in different shapes (hvac sends `"a,b"` where
// the Go CLI sends `["a","b"]`; booleans arrive as `true`, `"true"` or `1`).
// Every endpoint reads its fields through these helpers so all of them accept
// the same spellings and reject bad ones with the same message:
//   error converting input <value> for field "<name>": <reason>
//
// Thread-safety: pure functions; safe from any thread.
// Invariants: an absent key, a JSON null, and a non-object `obj` all give
// std::nullopt (not an error) so callers can tell "not sent" from a value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer {

// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
// Returns false (and leaves *out alone) for anything else.
bool ParseGoBool(std::string_view s, bool* out);

// bool, a ParseGoBool string, or a number (non-zero is true).
Result<std::optional<bool>> GetBool(const Json& obj, std::string_view key);

// An integral number, a float (truncated toward zero), a decimal string with
// optional sign ("" is 0), or a bool (1/0).
Result<std::optional<int64_t>> GetInt(const Json& obj, std::string_view key);

// A string; numbers and bools become their text ("3", "1.5", "true").
Result<std::optional<std::string>> GetString(const Json& obj, std::string_view key);

// An array of scalars or one comma-separated string; each item trimmed of
// spaces, empty items dropped. A lone number or bool is a one-item list.
Result<std::optional<std::vector<std::string>>> GetStringList(const Json& obj,
                                                              std::string_view key);

// Whole seconds, as ParseDurationSeconds (common/duration.h) accepts them.
Result<std::optional<int64_t>> GetDuration(const Json& obj, std::string_view key);

// An object whose values are scalars (coerced to strings as GetString does),
// or an array of "k=v" strings.
Result<std::optional<std::map<std::string, std::string>>> GetStringMap(const Json& obj,
                                                                       std::string_view key);

// The text of a scalar as GetString renders it; false for arrays, objects
// and null.
bool ScalarToString(const Json& v, std::string* out);

// Readers for records Coffer itself stored (no coercion, no errors): a
// missing or mistyped field reads as empty; the caller validates what it needs.
std::string StoredString(const Json& obj, std::string_view key);
// The string items of an array field (other items skipped).
std::vector<std::string> StoredStrings(const Json& obj, std::string_view key);

// Appends `s` as a JSON string literal, byte for byte as
// Json(s).dump(-1, ' ', false, Json::error_handler_t::replace) writes it
// (printable ASCII directly, anything else through the JSON library), for
// code that writes hot JSON records without building a Json tree.
void AppendJsonString(std::string* out, std::string_view s);

// Appends `value` compactly, byte for byte as
// value.dump(-1, ' ', false, Json::error_handler_t::replace) writes it, but
// without the library's per-character serializer for the common parts
// (objects, arrays, integers, printable-ASCII strings); floats, binary
// values and strings that need escaping still go through the library.
void AppendJson(std::string* out, const Json& value);
// AppendJson into a new string.
std::string DumpJsonCompact(const Json& value);

// Fields of a hot record written by hand, "key":value, byte for byte as the
// JSON library's compact dump writes them. Its objects are std::maps: a
// record matches the dump only if its fields are appended in sorted key
// order, separated by ','.
void AppendJsonField(std::string* out, std::string_view key, int64_t value);
void AppendJsonField(std::string* out, std::string_view key, bool value);
void AppendJsonField(std::string* out, std::string_view key, std::string_view value);
void AppendJsonField(std::string* out, std::string_view key, const std::vector<std::string>& value);
void AppendJsonField(std::string* out, std::string_view key,
                     const std::map<std::string, std::string>& value);
// A string literal would otherwise pick the bool overload.
void AppendJsonField(std::string* out, std::string_view key, const char* value) = delete;
// A field holding any JSON value (AppendJson); a name of its own, since a
// Json converts from everything the overloads above take.
void AppendJsonValueField(std::string* out, std::string_view key, const Json& value);

// One JSON object written field by field with the writers above, the commas
// and braces placed for the caller:
//
//   std::string out;
//   JsonObjectWriter(&out).Field("a", int64_t{1}).Field("b", name).Close();
//
// A field whose value is another object: Key("c"), then a second writer on
// the same string for the value, closed before the outer one.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  template <class T>
  JsonObjectWriter& Field(std::string_view key, const T& value) {
    Separate();
    AppendJsonField(out_, key, value);
    return *this;
  }
  JsonObjectWriter& ValueField(std::string_view key, const Json& value) {
    Separate();
    AppendJsonValueField(out_, key, value);
    return *this;
  }
  // Writes "key": and leaves the value to the caller (a nested object
  // written with a JsonObjectWriter of its own, say).
  JsonObjectWriter& Key(std::string_view key) {
    Separate();
    AppendJsonString(out_, key);
    out_->push_back(':');
    return *this;
  }
  void Close() { out_->push_back('}'); }

 private:
  void Separate() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  std::string* out_;
  bool first_ = true;
};

}  // namespace coffer
