#include "storage/merkle_diff.h"

#include <algorithm>

namespace coffer::storage {

std::vector<uint32_t> DifferingBuckets(const std::vector<std::string>& local,
                                       const std::vector<std::string>& remote) {
  std::vector<uint32_t> out;
  const size_t n = std::max(local.size(), remote.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= local.size() || i >= remote.size() || local[i] != remote[i]) {
      out.push_back(static_cast<uint32_t>(i));
    }
  }
  return out;
}

KeyDiff DiffKeys(const std::vector<std::pair<std::string, std::string>>& local,
                 const std::vector<std::pair<std::string, std::string>>& remote) {
  KeyDiff out;
  size_t l = 0, r = 0;
  while (l < local.size() || r < remote.size()) {
    if (r == remote.size() || (l < local.size() && local[l].first < remote[r].first)) {
      out.remove.push_back(local[l++].first);
    } else if (l == local.size() || remote[r].first < local[l].first) {
      out.fetch.push_back(remote[r++].first);
    } else {
      if (local[l].second != remote[r].second) out.fetch.push_back(remote[r].first);
      ++l;
      ++r;
    }
  }
  return out;
}

}  // namespace coffer::storage
