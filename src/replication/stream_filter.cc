#include "replication/stream_filter.h"

#include <algorithm>

#include "crypto/hash.h"

namespace coffer::replication {

bool StreamFilter::Admits(storage::StorageClass c, std::string_view key) const {
  if (c == storage::StorageClass::kNode) return false;
  if (replicated_only && c != storage::StorageClass::kReplicated) return false;
  return std::none_of(withheld.begin(), withheld.end(),
                      [&](const std::string& p) { return key.starts_with(p); });
}

StreamFilter PerformanceFilter(const PathsFilter* filter, const std::vector<MountEntry>& mounts) {
  StreamFilter out;
  if (filter == nullptr) return out;
  const bool deny = filter->mode == "deny";
  for (const MountEntry& m : mounts) {
    if (m.type == "system" || m.type == "token" || m.type == "cubbyhole") continue;
    const bool listed = std::find(filter->paths.begin(), filter->paths.end(), m.path) !=
                        filter->paths.end();
    if (listed == deny) out.withheld.push_back(m.StoragePrefix());
  }
  return out;
}

StreamFilter DrFilter() {
  StreamFilter out;
  out.replicated_only = false;
  return out;
}

v1::WalEntry ToWire(const storage::WalEntry& entry, const StreamFilter& filter) {
  v1::WalEntry w;
  w.set_index(entry.index);
  w.set_commit_time_ms(entry.commit_time_ms);
  w.set_prev_hash(entry.prev_hash);
  w.set_hash(entry.hash);
  bool redacted = false;
  for (const storage::WalOp& op : entry.ops) {
    if (!filter.Admits(op.storage_class, op.key)) {
      redacted = true;
      continue;
    }
    v1::WalOp* o = w.add_ops();
    o->set_kind(op.kind == storage::WalOp::Kind::kPut ? v1::WalOp::KIND_PUT
                                                        : v1::WalOp::KIND_DELETE);
    o->set_storage_class(op.storage_class == storage::StorageClass::kReplicated
                             ? v1::STORAGE_CLASS_REPLICATED
                             : v1::STORAGE_CLASS_LOCAL);
    o->set_key(op.key);
    o->set_value(op.value);
  }
  w.set_redacted(redacted);
  return w;
}

Result<storage::WalEntry> FromWire(const v1::WalEntry& w) {
  auto bad = [&](const std::string& why) {
    return Corruption("WAL entry " + std::to_string(w.index()) + " from upstream: " + why);
  };
  storage::WalEntry e;
  e.index = w.index();
  e.commit_time_ms = w.commit_time_ms();
  e.prev_hash = w.prev_hash();
  e.hash = w.hash();
  if (e.prev_hash.size() != storage::kWalHashSize || e.hash.size() != storage::kWalHashSize) {
    return bad("bad hash length");
  }
  for (const v1::WalOp& o : w.ops()) {
    storage::WalOp op;
    switch (o.kind()) {
      case v1::WalOp::KIND_PUT:
        op.kind = storage::WalOp::Kind::kPut;
        break;
      case v1::WalOp::KIND_DELETE:
        op.kind = storage::WalOp::Kind::kDelete;
        break;
      default:
        return bad("unknown op kind");
    }
    switch (o.storage_class()) {
      case v1::STORAGE_CLASS_REPLICATED:
        op.storage_class = storage::StorageClass::kReplicated;
        break;
      case v1::STORAGE_CLASS_LOCAL:
        op.storage_class = storage::StorageClass::kLocal;
        break;
      default:
        return bad("unknown storage class");
    }
    if (o.key().empty()) return bad("empty key");
    op.key = o.key();
    op.value = o.value();
    e.ops.push_back(std::move(op));
  }
  if (!w.redacted() && crypto::Sha256(storage::WalHashedBytes(e)) != e.hash) {
    return bad("hash does not match its contents");
  }
  return e;
}

}  // namespace coffer::replication
