// X-Vault-Index: the replication state a client may carry between requests.
//
// Value (Vault's layout, so its Go client can parse and compare it):
//   base64( "v1:<cluster_id>:<local_index>:<replicated_index>:" + hex(HMAC-SHA256(key, that prefix)) )
// without the final ':' inside the MAC input. `cluster_id` is the performance
// set's id when the node is in one (equal on its primary and secondaries),
// else the node's own cluster id; `replicated_index` is the primary's WAL
// index the node has reached (its own on a primary, the last applied upstream
// entry on a secondary); `local_index` this node's own WAL index. The key is
// the replicated `core/replication/index-key`, so every member of the set can
// check every member's values.
//
// The key is held as a crypto::HmacSha256Key (its pads hashed once, when the
// node unseals), since every write answers with a fresh value.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"
#include "crypto/hmac_key.h"

namespace coffer::replication {

struct IndexState {
  std::string cluster_id;
  uint64_t local_index = 0;
  uint64_t replicated_index = 0;
  bool operator==(const IndexState&) const = default;
};

std::string EncodeIndexState(const IndexState& s, const crypto::HmacSha256Key& key);
// kInvalidArgument for a malformed value or a bad MAC.
Result<IndexState> DecodeIndexState(std::string_view value, const crypto::HmacSha256Key& key);
// A request header may carry several values separated by commas.
std::vector<std::string> SplitIndexHeader(std::string_view header);

}  // namespace coffer::replication
