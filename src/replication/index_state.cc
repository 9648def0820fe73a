#include "replication/index_state.h"

#include <charconv>

#include "crypto/encoding.h"
#include "crypto/hash.h"

namespace coffer::replication {
namespace {

std::string Prefix(const IndexState& s) {
  return "v1:" + s.cluster_id + ":" + std::to_string(s.local_index) + ":" +
         std::to_string(s.replicated_index);
}

bool ParseU64(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

Status Bad() { return InvalidArgument("invalid X-Vault-Index header"); }

}  // namespace

std::string EncodeIndexState(const IndexState& s, const crypto::HmacSha256Key& key) {
  std::string prefix = Prefix(s);
  return crypto::Base64Encode(prefix + ":" + crypto::HexEncode(key.Mac(prefix)));
}

Result<IndexState> DecodeIndexState(std::string_view value, const crypto::HmacSha256Key& key) {
  auto raw = crypto::Base64Decode(value);
  if (!raw.ok()) return Bad();
  std::string_view text = *raw;
  size_t mac_at = text.rfind(':');
  if (mac_at == std::string_view::npos) return Bad();
  std::string_view prefix = text.substr(0, mac_at);
  // v1 : cluster_id : local : replicated
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t colon = prefix.find(':', start);
    parts.push_back(prefix.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  IndexState s;
  if (parts.size() != 4 || parts[0] != "v1" || parts[1].empty() ||
      !ParseU64(parts[2], &s.local_index) || !ParseU64(parts[3], &s.replicated_index)) {
    return Bad();
  }
  s.cluster_id = std::string(parts[1]);
  auto mac = crypto::HexDecode(text.substr(mac_at + 1));
  if (!mac.ok() || !crypto::ConstantTimeEqual(*mac, key.Mac(prefix))) {
    return Bad();
  }
  return s;
}

std::vector<std::string> SplitIndexHeader(std::string_view header) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    std::string_view part =
        header.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace coffer::replication
