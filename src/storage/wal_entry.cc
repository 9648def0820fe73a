#include "storage/wal_entry.h"

#include <cstdio>

#include "common/byte_codec.h"
#include "crypto/hash.h"

namespace coffer::storage {
namespace {

constexpr uint8_t kWalVersion = 1;
constexpr uint8_t kStateVersion = 1;
constexpr uint8_t kUpstreamVersion = 1;

}  // namespace

std::string WalGenesisHash() { return std::string(kWalHashSize, '\0'); }

std::string WalEntryKey(uint64_t index) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(index));
  return std::string(kWalEntryPrefix) + hex;
}

namespace {

size_t WalBodySize(const WalEntry& entry) {
  size_t size = 1 + 8 + 8 + 4;
  for (const WalOp& op : entry.ops) size += 2 + 4 + op.key.size() + 4 + op.value.size();
  return size;
}

void AppendWalBody(const WalEntry& entry, std::string& out) {
  out.push_back(static_cast<char>(kWalVersion));
  PutU64(out, entry.index);
  PutU64(out, entry.commit_time_ms);
  PutU32(out, static_cast<uint32_t>(entry.ops.size()));
  for (const WalOp& op : entry.ops) {
    out.push_back(static_cast<char>(op.kind));
    out.push_back(static_cast<char>(op.storage_class));
    PutU32(out, static_cast<uint32_t>(op.key.size()));
    out += op.key;
    PutU32(out, static_cast<uint32_t>(op.value.size()));
    out += op.value;
  }
}

}  // namespace

std::string WalHashedBytes(const WalEntry& entry) {
  // Room for the hash too: SealWalEntry appends it (on the group commit's
  // serial path, so the record is built in one allocation).
  std::string out;
  out.reserve(entry.prev_hash.size() + WalBodySize(entry) + kWalHashSize);
  out.append(entry.prev_hash);
  AppendWalBody(entry, out);
  return out;
}

std::string SealWalEntry(WalEntry& entry) {
  std::string record = WalHashedBytes(entry);
  entry.hash = crypto::Sha256(record);
  record += entry.hash;
  return record;
}

Result<WalEntry> DecodeWalEntry(std::string_view record) {
  if (record.size() < 2 * kWalHashSize) return Corruption("wal: record too short");
  WalEntry entry;
  entry.prev_hash = std::string(record.substr(0, kWalHashSize));
  entry.hash = std::string(record.substr(record.size() - kWalHashSize));
  std::string_view covered = record.substr(0, record.size() - kWalHashSize);
  if (crypto::Sha256(covered) != entry.hash) return Corruption("wal: record hash mismatch");

  ByteReader r(covered.substr(kWalHashSize));
  uint8_t version = 0;
  uint32_t count = 0;
  if (!r.U8(&version) || !r.U64(&entry.index) || !r.U64(&entry.commit_time_ms) || !r.U32(&count)) {
    return Corruption("wal: truncated header");
  }
  if (version != kWalVersion) {
    return Corruption("wal: unsupported record version " + std::to_string(version));
  }
  for (uint32_t i = 0; i < count; ++i) {
    WalOp op;
    uint8_t kind = 0, cls = 0;
    uint32_t key_len = 0, value_len = 0;
    if (!r.U8(&kind) || !r.U8(&cls) || !r.U32(&key_len) || !r.Bytes(key_len, &op.key) ||
        !r.U32(&value_len) || !r.Bytes(value_len, &op.value)) {
      return Corruption("wal: truncated op " + std::to_string(i));
    }
    if (kind > 1) return Corruption("wal: unknown op kind " + std::to_string(kind));
    if (cls > 1) return Corruption("wal: op class " + std::to_string(cls) + " not loggable");
    if (op.key.empty()) return Corruption("wal: empty key");
    if (kind == 1 && !op.value.empty()) return Corruption("wal: delete with a value");
    op.kind = static_cast<WalOp::Kind>(kind);
    op.storage_class = static_cast<StorageClass>(cls);
    entry.ops.push_back(std::move(op));
  }
  if (!r.Empty()) return Corruption("wal: trailing bytes");
  return entry;
}

Status VerifyWalChain(uint64_t start_index, std::string_view start_hash,
                      const std::vector<WalEntry>& entries) {
  uint64_t index = start_index;
  std::string_view hash = start_hash;
  for (const WalEntry& e : entries) {
    if (e.index != index + 1) {
      return Corruption("wal: expected index " + std::to_string(index + 1) + ", got " +
                        std::to_string(e.index));
    }
    if (e.prev_hash != hash) {
      return Corruption("wal: entry " + std::to_string(e.index) + " does not link to its predecessor");
    }
    if (crypto::Sha256(WalHashedBytes(e)) != e.hash) {
      return Corruption("wal: entry " + std::to_string(e.index) + " hash mismatch");
    }
    index = e.index;
    hash = e.hash;
  }
  return Status::Ok();
}

std::string EncodeWalState(const WalState& state) {
  std::string out;
  out.push_back(static_cast<char>(kStateVersion));
  PutU64(out, state.first_index);
  PutU64(out, state.last_index);
  out += state.last_hash;
  PutU64(out, state.retained_bytes);
  return out;
}

Result<WalState> DecodeWalState(std::string_view bytes) {
  ByteReader r(bytes);
  WalState s;
  uint8_t version = 0;
  if (!r.U8(&version) || version != kStateVersion) return Corruption("wal: bad state version");
  if (!r.U64(&s.first_index) || !r.U64(&s.last_index) || !r.Bytes(kWalHashSize, &s.last_hash) ||
      !r.U64(&s.retained_bytes) || !r.Empty()) {
    return Corruption("wal: malformed state record");
  }
  if (s.first_index == 0 || s.first_index > s.last_index + 1) {
    return Corruption("wal: state indexes out of order");
  }
  return s;
}

std::string UpstreamPositionKey(std::string_view name) {
  return std::string(kUpstreamPrefix) + std::string(name);
}

std::string EncodeUpstreamPosition(const UpstreamPosition& position) {
  std::string out;
  out.push_back(static_cast<char>(kUpstreamVersion));
  PutU64(out, position.index);
  out += position.hash;
  PutU64(out, position.commit_time_ms);
  return out;
}

Result<UpstreamPosition> DecodeUpstreamPosition(std::string_view bytes) {
  ByteReader r(bytes);
  UpstreamPosition p;
  uint8_t version = 0;
  if (!r.U8(&version) || version != kUpstreamVersion) {
    return Corruption("replication: bad upstream position version");
  }
  if (!r.U64(&p.index) || !r.Bytes(kWalHashSize, &p.hash) || !r.U64(&p.commit_time_ms) ||
      !r.Empty()) {
    return Corruption("replication: malformed upstream position");
  }
  return p;
}

}  // namespace coffer::storage
