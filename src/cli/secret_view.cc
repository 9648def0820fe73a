#include "cli/secret_view.h"

#include <algorithm>
#include <ostream>

#include "cli/reply_fields.h"

namespace coffer::cli {
namespace {

constexpr size_t kWrapWidth = 78;

// Greedy word wrap at `width` columns; a word longer than the width keeps its
// own line.
std::vector<std::string> Wrap(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {
      lines.push_back(line);
      line.clear();
      ++i;
      continue;
    }
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    i = end;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string NoEmpty(std::string s) { return s.empty() ? "n/a" : s; }

bool HasAuth(const Json& secret) { return Member(secret, "auth").is_object(); }

// "2026-11-28T13:00:00Z" as Go's time.Time.String() prints it in UTC
// ("2026-11-28 13:00:00 +0000 UTC"); other text is shown as it is.
std::string GoTimeString(std::string rfc3339) {
  if (rfc3339.size() < 20 || rfc3339[10] != 'T' || rfc3339.back() != 'Z') return rfc3339;
  rfc3339[10] = ' ';
  rfc3339.pop_back();
  return rfc3339 + " +0000 UTC";
}

}  // namespace

std::vector<std::string> StringItems(const Json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const Json& item : v) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<Row> SecretRows(const Json& secret) {
  std::vector<Row> rows;
  long long lease_duration = IntField(secret, "lease_duration");
  if (lease_duration > 0) {
    std::string lease_id = StringField(secret, "lease_id");
    if (!lease_id.empty()) {
      rows.push_back({"lease_id", lease_id});
      rows.push_back({"lease_duration", HumanDuration(lease_duration)});
      rows.push_back({"lease_renewable", BoolField(secret, "renewable") ? "true" : "false"});
    } else {
      rows.push_back({"refresh_interval", HumanDuration(lease_duration)});
    }
  }
  if (HasAuth(secret)) {
    const Json& auth = Member(secret, "auth");
    long long ttl = IntField(auth, "lease_duration");
    rows.push_back({"token", StringField(auth, "client_token")});
    rows.push_back({"token_accessor", StringField(auth, "accessor")});
    rows.push_back({"token_duration", ttl == 0 ? "∞" : HumanDuration(ttl)});
    rows.push_back({"token_renewable", BoolField(auth, "renewable") ? "true" : "false"});
    rows.push_back({"token_policies", QuotedList(StringItems(Member(auth, "token_policies")))});
    rows.push_back(
        {"identity_policies", QuotedList(StringItems(Member(auth, "identity_policies")))});
    rows.push_back({"policies", QuotedList(StringItems(Member(auth, "policies")))});
    const Json& meta = Member(auth, "metadata");
    if (meta.is_object()) {
      for (const auto& [k, v] : meta.items()) rows.push_back({"token_meta_" + k, FormatValue(v)});
    }
  }
  const Json& wrap = Member(secret, "wrap_info");
  if (wrap.is_object()) {
    // The vault CLI's keys, colon included.
    rows.push_back({"wrapping_token:", StringField(wrap, "token")});
    rows.push_back({"wrapping_accessor:", StringField(wrap, "accessor")});
    rows.push_back({"wrapping_token_ttl:", HumanDuration(IntField(wrap, "ttl"))});
    rows.push_back({"wrapping_token_creation_time:", GoTimeString(StringField(wrap, "creation_time"))});
    rows.push_back({"wrapping_token_creation_path:", StringField(wrap, "creation_path")});
    const std::string wrapped = StringField(wrap, "wrapped_accessor");
    if (!wrapped.empty()) rows.push_back({"wrapped_accessor:", wrapped});
  }
  const Json& data = Member(secret, "data");
  if (data.is_object()) {
    for (const auto& [k, v] : data.items()) rows.push_back({k, TableValue(k, v)});
  }
  for (Row& r : rows) r.value = NoEmpty(std::move(r.value));
  return rows;
}

std::string FormatSecretTable(const Json& secret) {
  std::vector<Row> rows = SecretRows(secret);
  return rows.empty() ? "" : FormatTable(rows);
}

std::string FormatDataTable(const Json& data) {
  if (!data.is_object() || data.empty()) return "";
  std::vector<Row> rows;
  for (const auto& [k, v] : data.items()) rows.push_back({k, NoEmpty(TableValue(k, v))});
  return FormatTable(rows);
}

std::string FormatWarnings(const Json& secret) {
  std::vector<std::string> warnings = StringItems(Member(secret, "warnings"));
  if (warnings.empty()) return "";
  std::string out = "WARNING! The following warnings were returned from Vault:\n\n";
  for (const std::string& w : warnings) {
    for (const std::string& line : Wrap("* " + w, kWrapWidth - 2)) out += "  " + line + "\n";
    out += "\n";
  }
  return out;
}

std::string PadEqualSigns(std::string_view title, size_t total_len) {
  long long signs = static_cast<long long>(total_len) - static_cast<long long>(title.size() + 2);
  if (signs <= 0) signs = 4;
  if (signs % 2 != 0) ++signs;
  std::string side(static_cast<size_t>(signs / 2), '=');
  return side + " " + std::string(title) + " " + side;
}

std::string HeaderForMap(std::string_view title, const Json& data) {
  size_t max_key = 0;
  if (data.is_object()) {
    for (const auto& [k, v] : data.items()) max_key = std::max(max_key, k.size());
  }
  return PadEqualSigns(title, max_key + 4 + 5);  // the column gap and "Value"
}

std::optional<Json> SecretField(const Json& secret, std::string_view field) {
  if (HasAuth(secret)) {
    const Json& auth = Member(secret, "auth");
    if (field == "token") return Member(auth, "client_token");
    if (field == "token_accessor") return Member(auth, "accessor");
    if (field == "token_duration") return Member(auth, "lease_duration");
    if (field == "token_renewable") return Member(auth, "renewable");
    if (field == "token_policies") return Member(auth, "token_policies");
    if (field == "identity_policies") return Member(auth, "identity_policies");
    if (field == "policies") return Member(auth, "policies");
    if (field.rfind("token_meta_", 0) == 0) {
      const Json& v = Member(Member(auth, "metadata"), std::string(field.substr(11)).c_str());
      if (!v.is_null()) return v;
    }
  }
  if (field == "refresh_interval" || field == "lease_duration") {
    return Member(secret, "lease_duration");
  }
  if (field == "lease_id") return Member(secret, "lease_id");
  const Json& wrap = Member(secret, "wrap_info");
  if (wrap.is_object()) {
    if (field == "wrapping_token") return Member(wrap, "token");
    if (field == "wrapping_accessor") return Member(wrap, "accessor");
    if (field == "wrapping_token_ttl") return Member(wrap, "ttl");
    if (field == "wrapping_token_creation_time") return Member(wrap, "creation_time");
    if (field == "wrapping_token_creation_path") return Member(wrap, "creation_path");
    if (field == "wrapped_accessor") return Member(wrap, "wrapped_accessor");
  }
  if (field == "lease_renewable") return Member(secret, "renewable");
  const Json& data = Member(secret, "data");
  const Json& v = Member(data, std::string(field).c_str());
  if (v.is_null()) return std::nullopt;
  return v;
}

bool IsWrapped(const Json& secret) { return Member(secret, "wrap_info").is_object(); }

int OutputSecret(Invocation& inv, const Json& secret) {
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(secret);
    return kExitOk;
  }
  inv.err() << FormatWarnings(secret);
  inv.out() << FormatSecretTable(secret);
  return kExitOk;
}

int OutputData(Invocation& inv, const Json& data) {
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(data);
  } else {
    inv.out() << FormatDataTable(data);
  }
  return kExitOk;
}

int OutputField(Invocation& inv, const std::optional<Json>& value, std::string_view field) {
  if (!value.has_value() || value->is_null()) {
    inv.err() << "Field \"" << field << "\" not present in secret\n";
    return kExitLocalError;
  }
  std::string text;
  if (value->is_string()) {
    text = value->get<std::string>();
  } else if (inv.format() == OutputFormat::kJson) {
    text = value->dump(2);
  } else {
    text = FormatValue(*value);
  }
  inv.out() << text;
  if (inv.ctx().out_is_terminal) inv.out() << "\n";
  return kExitOk;
}

std::optional<Json> ListKeys(const Json& secret) {
  const Json& keys = Member(Member(secret, "data"), "keys");
  if (!keys.is_array()) return std::nullopt;
  return keys;
}

int OutputList(Invocation& inv, const Json& secret) {
  std::optional<Json> keys = ListKeys(secret);
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(keys.value_or(Json::array()));
    return kExitOk;
  }
  inv.err() << FormatWarnings(secret);
  std::vector<std::string> names = StringItems(keys.value_or(Json::array()));
  if (names.empty()) return kExitOk;
  std::sort(names.begin(), names.end());
  std::string out = "Keys\n----\n";
  for (const std::string& n : names) out += n + "\n";
  inv.out() << out;
  return kExitOk;
}

int PrintListResult(Invocation& inv, const std::optional<Json>& secret, const std::string& path) {
  std::optional<Json> keys = secret ? ListKeys(*secret) : std::nullopt;
  bool has_data =
      secret && secret->is_object() && secret->contains("data") && (*secret)["data"].is_object();
  if (inv.format() != OutputFormat::kTable && !keys) {
    inv.out() << FormatJson(Json::object());
    return kExitRemoteError;
  }
  if (!secret) {
    inv.err() << "No value found at " << path << "\n";
    return kExitRemoteError;
  }
  if (!has_data) return OutputSecret(inv, *secret);  // warnings only
  if (!keys) {
    inv.err() << "No entries found at " << path << "\n";
    return kExitRemoteError;
  }
  return OutputList(inv, *secret);
}

}  // namespace coffer::cli
