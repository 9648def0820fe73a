#include "common/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>

#include "common/duration.h"
#include "common/hcl.h"
#include "common/host_port.h"
#include "common/json_util.h"
#include "common/log.h"

namespace coffer::config {
namespace {

constexpr int64_t kDefaultMaxRequestSize = 33554432;
constexpr int64_t kDefaultMaxRequestDurationS = 90;

// What one file says. Unset optionals leave the value from earlier files (or
// the default) alone when fragments are merged.
struct Fragment {
  std::optional<StorageConfig> storage;
  std::vector<ListenerConfig> listeners;
  std::optional<std::string> api_addr, cluster_addr, cluster_name, log_level;
  std::optional<bool> disable_mlock, ui, raw_storage_endpoint, disable_cache;
  std::optional<int64_t> cache_size;
  std::optional<int64_t> default_lease_ttl_s, max_lease_ttl_s;
  std::optional<int64_t> logshipper_buffer_length, logshipper_buffer_size;
  std::optional<int64_t> wal_wait_ms, canary_interval_s, bootstrap_timeout_ms;
};

Status Prefixed(std::string_view where, const Status& st) {
  return Status(st.code(), std::string(where) + ": " + st.message());
}

// Assigns the optional result of a json_util getter to *out when present.
template <typename T, typename U>
Status Take(Result<std::optional<T>> r, std::string_view where, U* out) {
  if (!r.ok()) return Prefixed(where, r.status());
  if (r->has_value()) *out = std::move(**r);
  return Status::Ok();
}

// A listen address: "host:port" / "[v6]:port" / ":port"; port 0 = any.
Result<HostPort> ListenHostPort(std::string_view address) {
  return SplitHostPort(address, {.allow_zero_port = true, .allow_empty_host = true});
}

// A byte count: a non-negative integer, or a string such as "512", "100mb",
// "5gb", "1.5 GiB" (k/m/g/t = powers of 1000, ki/mi/gi/ti = powers of 1024).
Result<int64_t> ParseSize(const Json& v) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (!(d >= 0) || d >= 9223372036854775808.0) return InvalidArgument("invalid size");
    return v.is_number_float() ? static_cast<int64_t>(d) : v.get<int64_t>();
  }
  if (!v.is_string()) return InvalidArgument("a size must be a number or a string");
  std::string s;
  for (char c : v.get_ref<const std::string&>()) {
    if (c != ' ') s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  size_t unit_at = s.find_first_not_of("0123456789.");
  std::string_view num = std::string_view(s).substr(0, unit_at);
  std::string_view unit = unit_at == std::string::npos ? "" : std::string_view(s).substr(unit_at);
  double value = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), value);
  if (num.empty() || ec != std::errc() || ptr != num.data() + num.size()) {
    return InvalidArgument("invalid size");
  }
  static const std::pair<std::string_view, double> kUnits[] = {{"", 1},
                                                               {"b", 1},
                                                               {"k", 1e3},
                                                               {"kb", 1e3},
                                                               {"m", 1e6},
                                                               {"mb", 1e6},
                                                               {"g", 1e9},
                                                               {"gb", 1e9},
                                                               {"t", 1e12},
                                                               {"tb", 1e12},
                                                               {"ki", 1024.0},
                                                               {"kib", 1024.0},
                                                               {"mi", 1048576.0},
                                                               {"mib", 1048576.0},
                                                               {"gi", 1073741824.0},
                                                               {"gib", 1073741824.0},
                                                               {"ti", 1099511627776.0},
                                                               {"tib", 1099511627776.0}};
  for (const auto& [name, mult] : kUnits) {
    if (name != unit) continue;
    double bytes = value * mult;
    if (!std::isfinite(bytes) || bytes >= 9223372036854775808.0) {
      return InvalidArgument("size out of range");
    }
    return static_cast<int64_t>(bytes);
  }
  return InvalidArgument("unknown size unit \"" + std::string(unit) + "\"");
}

// Calls fn for each (type, body) of a typed block such as `listener "tcp" {}`
// given as {"tcp": {...}}, [{"tcp": {...}}, ...] or {"tcp": [{...}, ...]}.
Status ForEachTypedBlock(const Json& root, const std::string& key, std::string_view source,
                         const std::function<Status(const std::string&, const Json&)>& fn) {
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) return Status::Ok();
  std::string where = std::string(source) + ": " + key;
  if (!it->is_object() && !it->is_array()) {
    return InvalidArgument(where + " must be a block, e.g. " + key + " \"<type>\" { ... }");
  }
  Status status;
  hcl::ForEachEntry(*it, [&](const std::string& type, const Json& body) {
    if (!status.ok()) return;
    if (body.is_array()) {
      for (const Json& one : body) {
        if (!status.ok()) return;
        if (!one.is_object()) {
          status = InvalidArgument(where + " \"" + type + "\" must be a block");
        } else {
          status = fn(type, one);
        }
      }
      return;
    }
    if (!body.is_object()) {
      status = InvalidArgument(where + " must be labelled with its type, e.g. " + key +
                               " \"<type>\" { ... } (found attribute \"" + type + "\")");
      return;
    }
    status = fn(type, body);
  });
  return status;
}

Status ValidateListener(const ListenerConfig& l, std::string_view where) {
  if (l.type != "tcp") {
    return InvalidArgument(std::string(where) + ": listener type \"" + l.type +
                           "\" is not supported (only \"tcp\")");
  }
  if (!ListenHostPort(l.address).ok()) {
    return InvalidArgument(std::string(where) + ": invalid address \"" + l.address +
                           "\" (want host:port)");
  }
  if (!l.cluster_address.empty() && !ListenHostPort(l.cluster_address).ok()) {
    return InvalidArgument(std::string(where) + ": invalid cluster_address \"" + l.cluster_address +
                           "\" (want host:port)");
  }
  static const char* kVersions[] = {"tls10", "tls11", "tls12", "tls13"};
  if (std::find(std::begin(kVersions), std::end(kVersions), l.tls_min_version) ==
      std::end(kVersions)) {
    return InvalidArgument(std::string(where) + ": invalid tls_min_version \"" + l.tls_min_version +
                           "\" (want tls10, tls11, tls12 or tls13)");
  }
  if (!l.tls_disable && (l.tls_cert_file.empty() || l.tls_key_file.empty())) {
    return InvalidArgument(std::string(where) +
                           ": tls_cert_file and tls_key_file are required unless tls_disable "
                           "is set");
  }
  return Status::Ok();
}

Result<ListenerConfig> ParseListener(const std::string& type, const Json& body,
                                     std::string_view source) {
  std::string where = std::string(source) + ": listener \"" + type + "\"";
  ListenerConfig l;
  l.type = type;
  RETURN_IF_ERROR(Take(GetString(body, "address"), where, &l.address));
  RETURN_IF_ERROR(Take(GetString(body, "cluster_address"), where, &l.cluster_address));
  RETURN_IF_ERROR(Take(GetBool(body, "tls_disable"), where, &l.tls_disable));
  RETURN_IF_ERROR(Take(GetString(body, "tls_cert_file"), where, &l.tls_cert_file));
  RETURN_IF_ERROR(Take(GetString(body, "tls_key_file"), where, &l.tls_key_file));
  RETURN_IF_ERROR(Take(GetString(body, "tls_client_ca_file"), where, &l.tls_client_ca_file));
  RETURN_IF_ERROR(Take(GetString(body, "tls_min_version"), where, &l.tls_min_version));
  RETURN_IF_ERROR(Take(GetBool(body, "tls_require_and_verify_client_cert"), where,
                       &l.tls_require_and_verify_client_cert));
  RETURN_IF_ERROR(Take(GetInt(body, "max_request_size"), where, &l.max_request_size));
  if (l.max_request_size == 0) l.max_request_size = kDefaultMaxRequestSize;
  RETURN_IF_ERROR(
      Take(GetDuration(body, "max_request_duration"), where, &l.max_request_duration_s));
  if (l.max_request_duration_s == 0) l.max_request_duration_s = kDefaultMaxRequestDurationS;
  RETURN_IF_ERROR(
      Take(GetDuration(body, "http_read_header_timeout"), where, &l.http_read_header_timeout_s));
  RETURN_IF_ERROR(Take(GetDuration(body, "http_read_timeout"), where, &l.http_read_timeout_s));
  RETURN_IF_ERROR(Take(GetDuration(body, "http_idle_timeout"), where, &l.http_idle_timeout_s));
  if (l.cluster_address.empty()) l.cluster_address = DefaultClusterAddress(l.address);
  RETURN_IF_ERROR(ValidateListener(l, where));
  return l;
}

// "2s", "500ms", "1m" (Go duration text) or a number of seconds -> milliseconds.
Result<int64_t> ParseDurationMillis(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>() * 1000;
  if (!v.is_string()) return InvalidArgument("not a duration");
  std::string text = v.get<std::string>();
  if (text.ends_with("ms")) {
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 2, ms);
    if (ec != std::errc() || end != text.data() + text.size() - 2) {
      return InvalidArgument("not a duration");
    }
    return ms;
  }
  ASSIGN_OR_RETURN(int64_t seconds, ParseDurationSeconds(std::string_view(text)));
  return seconds * 1000;
}

Status ParseReplication(const Json& root, std::string_view source, Fragment* f) {
  auto it = root.find("replication");
  if (it == root.end() || it->is_null()) return Status::Ok();
  std::string where = std::string(source) + ": replication";
  std::vector<const Json*> blocks;
  if (it->is_object()) blocks.push_back(&*it);
  if (it->is_array()) {
    for (const Json& b : *it) blocks.push_back(&b);
  }
  if (blocks.empty()) return InvalidArgument(where + " must be a block");
  for (const Json* b : blocks) {
    if (!b->is_object()) return InvalidArgument(where + " must be a block");
    std::optional<int64_t> length;
    RETURN_IF_ERROR(Take(GetInt(*b, "logshipper_buffer_length"), where, &length));
    if (length.has_value()) {
      if (*length < 0) {
        return InvalidArgument(where + ": logshipper_buffer_length must not be negative");
      }
      f->logshipper_buffer_length = length;
    }
    auto size_it = b->find("logshipper_buffer_size");
    if (size_it != b->end() && !size_it->is_null()) {
      auto size = ParseSize(*size_it);
      if (!size.ok()) {
        return InvalidArgument(where + ": error converting input " +
                               size_it->dump(-1, ' ', false, Json::error_handler_t::replace) +
                               " for field \"logshipper_buffer_size\": " + size.status().message());
      }
      f->logshipper_buffer_size = *size;
    }
    for (auto [field, out, min_ms] :
         {std::tuple{"best_effort_wal_wait_duration", &f->wal_wait_ms, int64_t{0}},
          std::tuple{"bootstrap_timeout", &f->bootstrap_timeout_ms, int64_t{1}}}) {
      auto it = b->find(field);
      if (it == b->end() || it->is_null()) continue;
      auto ms = ParseDurationMillis(*it);
      if (!ms.ok() || *ms < min_ms) {
        return InvalidArgument(where + ": invalid " + field + " " +
                               it->dump(-1, ' ', false, Json::error_handler_t::replace));
      }
      *out = *ms;
    }
    std::optional<int64_t> canary;
    RETURN_IF_ERROR(Take(GetInt(*b, "replication_canary_write_interval_seconds"), where, &canary));
    if (canary.has_value()) {
      if (*canary < 0) {
        return InvalidArgument(where + ": replication_canary_write_interval_seconds must not be negative");
      }
      f->canary_interval_s = canary;
    }
  }
  return Status::Ok();
}

Result<Fragment> ParseFragment(const Json& root, std::string_view source) {
  if (!root.is_object()) {
    return InvalidArgument(std::string(source) + ": the configuration must be an object");
  }
  Fragment f;
  std::vector<StorageConfig> storages;
  for (const char* key : {"storage", "backend"}) {
    RETURN_IF_ERROR(
        ForEachTypedBlock(root, key, source, [&](const std::string& type, const Json& body) {
          storages.push_back(StorageConfig{type, body});
          return Status::Ok();
        }));
  }
  if (storages.size() > 1) {
    std::string types;
    for (const StorageConfig& s : storages) types += (types.empty() ? "" : ", ") + s.type;
    return InvalidArgument(std::string(source) + ": multiple storage backends (" + types +
                           "); exactly one storage block is allowed");
  }
  if (!storages.empty()) f.storage = std::move(storages[0]);

  RETURN_IF_ERROR(ForEachTypedBlock(
      root, "listener", source, [&](const std::string& type, const Json& body) -> Status {
        ASSIGN_OR_RETURN(ListenerConfig l, ParseListener(type, body, source));
        f.listeners.push_back(std::move(l));
        return Status::Ok();
      }));
  RETURN_IF_ERROR(
      ForEachTypedBlock(root, "seal", source, [&](const std::string& type, const Json&) -> Status {
        if (type == "shamir") return Status::Ok();
        return InvalidArgument(std::string(source) + ": seal type " + type + " is not supported");
      }));

  RETURN_IF_ERROR(Take(GetString(root, "api_addr"), source, &f.api_addr));
  RETURN_IF_ERROR(Take(GetString(root, "cluster_addr"), source, &f.cluster_addr));
  RETURN_IF_ERROR(Take(GetString(root, "cluster_name"), source, &f.cluster_name));
  RETURN_IF_ERROR(Take(GetString(root, "log_level"), source, &f.log_level));
  RETURN_IF_ERROR(Take(GetBool(root, "disable_mlock"), source, &f.disable_mlock));
  RETURN_IF_ERROR(Take(GetBool(root, "ui"), source, &f.ui));
  RETURN_IF_ERROR(Take(GetBool(root, "raw_storage_endpoint"), source, &f.raw_storage_endpoint));
  RETURN_IF_ERROR(Take(GetBool(root, "disable_cache"), source, &f.disable_cache));
  RETURN_IF_ERROR(Take(GetInt(root, "cache_size"), source, &f.cache_size));
  if (f.cache_size.has_value() && *f.cache_size < 0) {
    return InvalidArgument(std::string(source) + ": cache_size must not be negative");
  }
  RETURN_IF_ERROR(Take(GetDuration(root, "default_lease_ttl"), source, &f.default_lease_ttl_s));
  RETURN_IF_ERROR(Take(GetDuration(root, "max_lease_ttl"), source, &f.max_lease_ttl_s));
  if (f.log_level.has_value()) {
    log::Level level;
    if (!log::ParseLevel(*f.log_level, &level)) {
      return InvalidArgument(std::string(source) + ": invalid log_level \"" + *f.log_level +
                             "\" (want trace, debug, info, warn or error)");
    }
  }
  RETURN_IF_ERROR(ParseReplication(root, source, &f));
  return f;
}

void Apply(Fragment f, ServerConfig* c) {
  if (f.storage) c->storage = std::move(*f.storage);
  for (ListenerConfig& l : f.listeners) c->listeners.push_back(std::move(l));
  if (f.api_addr) c->api_addr = std::move(*f.api_addr);
  if (f.cluster_addr) c->cluster_addr = std::move(*f.cluster_addr);
  if (f.cluster_name) c->cluster_name = std::move(*f.cluster_name);
  if (f.log_level) c->log_level = std::move(*f.log_level);
  if (f.disable_mlock) c->disable_mlock = *f.disable_mlock;
  if (f.ui) c->ui = *f.ui;
  if (f.raw_storage_endpoint) c->raw_storage_endpoint = *f.raw_storage_endpoint;
  if (f.disable_cache) c->disable_cache = *f.disable_cache;
  if (f.cache_size) c->cache_size = *f.cache_size;
  if (f.default_lease_ttl_s) c->default_lease_ttl_s = *f.default_lease_ttl_s;
  if (f.max_lease_ttl_s) c->max_lease_ttl_s = *f.max_lease_ttl_s;
  if (f.logshipper_buffer_length) {
    c->replication.logshipper_buffer_length = *f.logshipper_buffer_length;
  }
  if (f.logshipper_buffer_size) c->replication.logshipper_buffer_size = *f.logshipper_buffer_size;
  if (f.wal_wait_ms) c->replication.best_effort_wal_wait_ms = *f.wal_wait_ms;
  if (f.bootstrap_timeout_ms) c->replication.bootstrap_timeout_ms = *f.bootstrap_timeout_ms;
  if (f.canary_interval_s) c->replication.canary_write_interval_s = *f.canary_interval_s;
}

// A directory stands for its *.hcl and *.json files in name order.
Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> in_dir;
    for (std::filesystem::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      std::string ext = it->path().extension().string();
      if ((ext == ".hcl" || ext == ".json") && it->is_regular_file(ec)) {
        in_dir.push_back(it->path().string());
      }
    }
    if (ec) return IOError("cannot read directory " + p + ": " + ec.message());
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  return files;
}

}  // namespace

std::string DefaultClusterAddress(const std::string& address) {
  Result<HostPort> hp = ListenHostPort(address);
  if (!hp.ok() || hp->port == 65535) return "";
  return hp->host + ":" + std::to_string(hp->port == 0 ? 0 : hp->port + 1);
}

Status ValidateServerConfig(const ServerConfig& c, std::string_view source,
                            ValidateOptions options) {
  std::string src(source);
  if (c.storage.type.empty()) return InvalidArgument(src + ": no storage backend configured");
  if (options.require_listener && c.listeners.empty()) {
    return InvalidArgument(src + ": no listener configured");
  }
  for (const ListenerConfig& l : c.listeners) {
    RETURN_IF_ERROR(ValidateListener(l, src + ": listener \"" + l.type + "\" at " + l.address));
  }
  if (c.default_lease_ttl_s < 0 || c.max_lease_ttl_s < 0) {
    return InvalidArgument(src + ": lease TTLs must not be negative");
  }
  if (c.default_lease_ttl_s > c.max_lease_ttl_s) {
    return InvalidArgument(src + ": default_lease_ttl (" + std::to_string(c.default_lease_ttl_s) +
                           "s) is greater than max_lease_ttl (" +
                           std::to_string(c.max_lease_ttl_s) + "s)");
  }
  log::Level level;
  if (!log::ParseLevel(c.log_level, &level)) {
    return InvalidArgument(src + ": invalid log_level \"" + c.log_level + "\"");
  }
  return Status::Ok();
}

Result<ServerConfig> ParseServerConfig(const Json& root, std::string_view source_name,
                                       ValidateOptions options) {
  ASSIGN_OR_RETURN(Fragment f, ParseFragment(root, source_name));
  ServerConfig c;
  Apply(std::move(f), &c);
  RETURN_IF_ERROR(ValidateServerConfig(c, source_name, options));
  return c;
}

Result<ServerConfig> LoadServerConfig(const std::vector<std::string>& paths,
                                      ValidateOptions options) {
  if (paths.empty()) return InvalidArgument("no configuration file given");
  ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandPaths(paths));
  if (files.empty()) {
    return InvalidArgument("no .hcl or .json configuration files found in " + paths[0]);
  }
  ServerConfig c;
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(Json root, hcl::ParseFile(file));
    ASSIGN_OR_RETURN(Fragment f, ParseFragment(root, file));
    Apply(std::move(f), &c);
  }
  std::string source;
  for (const std::string& file : files) source += (source.empty() ? "" : ", ") + file;
  RETURN_IF_ERROR(ValidateServerConfig(c, source, options));
  return c;
}

}  // namespace coffer::config
