#include "replication/service.h"

#include <chrono>

#include "cluster/server.h"
#include "common/clock.h"
#include "common/log.h"
#include "storage/merkle_index.h"

namespace coffer::replication {
namespace {

storage::StorageClass ClassOf(v1::StorageClass c) {
  return c == v1::STORAGE_CLASS_LOCAL ? storage::StorageClass::kLocal
                                      : storage::StorageClass::kReplicated;
}

grpc::Status ToGrpc(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, st.message());
    case Code::kPermissionDenied:
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, st.message());
    case Code::kSealed:
    case Code::kUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, st.message());
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL, st.message());
  }
}

// A secondary that knows a newer generation of its set than this primary
// has followed a newer primary: this one is fenced off.
grpc::Status CheckGeneration(const PeerInfo& peer, uint64_t secondary_generation,
                             const char* rpc) {
  if (secondary_generation <= peer.generation) return grpc::Status::OK;
  COFFER_LOG(kWarn, "replication") << rpc << " refused: secondary " << peer.secondary_id
                                   << " knows generation " << secondary_generation
                                   << ", this primary is at " << peer.generation;
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "this primary's generation " + std::to_string(peer.generation) +
                          " is older than the secondary's " +
                          std::to_string(secondary_generation) +
                          ": a newer primary leads this replication set");
}

}  // namespace

ReplicationService::ReplicationService(storage::ReplicatedLog* log, ServiceHooks hooks)
    : log_(log), hooks_(std::move(hooks)) {}

std::optional<PeerInfo> ReplicationService::Authorize(grpc::ServerContext* ctx, const char* rpc) {
  const std::string fingerprint = cluster::PeerFingerprint(*ctx);
  std::optional<PeerInfo> peer;
  if (!fingerprint.empty() && !stopped_) peer = hooks_.authorize(fingerprint);
  if (!peer.has_value()) {
    COFFER_LOG(kWarn, "replication") << rpc << " refused: client certificate "
                                     << (fingerprint.empty() ? "missing" : fingerprint.substr(0, 16))
                                     << " is not a registered secondary of this cluster ("
                                     << ctx->peer() << ")";
  }
  return peer;
}

grpc::Status ReplicationService::Admit(grpc::ServerContext* ctx, const char* rpc,
                                       std::optional<v1::StorageClass> storage_class,
                                       PeerInfo* peer) {
  std::optional<PeerInfo> found = Authorize(ctx, rpc);
  if (!found.has_value()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "unknown or revoked secondary");
  }
  // A performance secondary never sees the local class.
  if (storage_class.has_value() && found->type != Type::kDr &&
      *storage_class != v1::STORAGE_CLASS_REPLICATED) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "storage class not replicated to this secondary");
  }
  *peer = std::move(*found);
  return grpc::Status::OK;
}

grpc::Status ReplicationService::StreamWals(grpc::ServerContext* ctx,
                                            const v1::StreamWalsRequest* req,
                                            grpc::ServerWriter<v1::StreamWalsResponse>* writer) {
  std::optional<PeerInfo> peer = Authorize(ctx, "StreamWals");
  if (!peer.has_value()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "unknown or revoked secondary");
  }
  if (grpc::Status fenced = CheckGeneration(*peer, req->generation(), "StreamWals");
      !fenced.ok()) {
    return fenced;
  }
  const std::string id = peer->secondary_id;
  const Type type = peer->type;
  COFFER_LOG(kInfo, "replication") << "secondary " << id << " streaming WALs after index "
                                   << req->after_index();
  uint64_t index = req->after_index();
  std::string hash = req->after_hash();
  // A secondary ahead of this log followed another history (it was
  // re-pointed at a promoted cluster, whose log numbers differently): like a
  // differing chain hash, that is a gap the secondary resolves by Merkle diff.
  if (auto state = log_->State(); state.ok() && index > state->last_index) {
    v1::StreamWalsResponse resp;
    resp.set_primary_last_index(state->last_index);
    resp.set_primary_time_ms(static_cast<uint64_t>(UnixMillis()));
    resp.set_primary_generation(peer->generation);
    resp.set_gap_reason("wal index " + std::to_string(index) +
                        " is beyond this primary's last index " +
                        std::to_string(state->last_index) + " (another history)");
    COFFER_LOG(kInfo, "replication") << "secondary " << id << " must resync: " << resp.gap_reason();
    writer->Write(resp);
    return grpc::Status::OK;
  }
  int64_t last_sent_ms = 0;
  grpc::Status result = grpc::Status::OK;
  // The client certificate is fixed for the call: parse and hash it once; the
  // registration (revocation, filter) is still checked before every batch.
  const std::string fingerprint = cluster::PeerFingerprint(*ctx);
  while (!ctx->IsCancelled()) {
    peer = stopped_ ? std::nullopt : hooks_.authorize(fingerprint);
    if (!peer.has_value()) {
      COFFER_LOG(kWarn, "replication") << "stream to secondary " << id << " ended: revoked";
      result = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "secondary revoked");
      break;
    }
    auto read = log_->ReadAfter(index, hash, kMaxStreamBatch);
    if (!read.ok()) {
      COFFER_LOG(kWarn, "replication") << "stream to secondary " << id << ": "
                                       << read.status().ToString();
      result = ToGrpc(read.status());
      break;
    }
    auto state = log_->State();
    v1::StreamWalsResponse resp;
    if (state.ok()) resp.set_primary_last_index(state->last_index);
    resp.set_primary_time_ms(static_cast<uint64_t>(UnixMillis()));
    resp.set_primary_generation(peer->generation);
    if (read->gap) {
      COFFER_LOG(kInfo, "replication") << "secondary " << id << " must resync: "
                                       << read->gap_reason;
      resp.set_gap_reason(read->gap_reason);
      writer->Write(resp);
      break;
    }
    if (read->entries.empty()) {
      if (UnixMillis() - last_sent_ms >= 1000) {
        if (!writer->Write(resp)) break;
        last_sent_ms = UnixMillis();
        if (hooks_.seen) hooks_.seen(type, id, true, index);
      }
      log_->WaitForCommitAfter(index, std::chrono::milliseconds(250));
      continue;
    }
    for (const storage::WalEntry& e : read->entries) *resp.add_entries() = ToWire(e, peer->filter);
    resp.set_primary_last_commit_ms(read->entries.back().commit_time_ms);
    if (!writer->Write(resp)) break;
    last_sent_ms = UnixMillis();
    index = read->entries.back().index;
    hash = read->entries.back().hash;
    if (hooks_.seen) hooks_.seen(type, id, true, index);
  }
  if (hooks_.seen) hooks_.seen(type, id, false, index);
  return result;
}

grpc::Status ReplicationService::MerkleDiff(grpc::ServerContext* ctx,
                                            const v1::MerkleDiffRequest* req,
                                            v1::MerkleDiffResponse* resp) {
  PeerInfo peer_info;
  if (grpc::Status denied = Admit(ctx, "MerkleDiff", req->storage_class(), &peer_info); !denied.ok()) {
    return denied;
  }
  if (grpc::Status fenced = CheckGeneration(peer_info, req->generation(), "MerkleDiff");
      !fenced.ok()) {
    return fenced;
  }
  auto snap = log_->Snapshot(ClassOf(req->storage_class()));
  if (!snap.ok()) return ToGrpc(snap.status());
  resp->set_root(snap->root);
  for (const std::string& b : snap->buckets) resp->add_buckets(b);
  resp->set_wal_index(snap->position.index);
  resp->set_wal_hash(snap->position.hash);
  resp->set_generation(peer_info.generation);
  return grpc::Status::OK;
}

grpc::Status ReplicationService::MerkleKeys(grpc::ServerContext* ctx,
                                            const v1::MerkleKeysRequest* req,
                                            v1::MerkleKeysResponse* resp) {
  PeerInfo peer_info;
  if (grpc::Status denied = Admit(ctx, "MerkleKeys", req->storage_class(), &peer_info); !denied.ok()) {
    return denied;
  }
  const PeerInfo* peer = &peer_info;
  if (req->buckets_size() > static_cast<int>(storage::kMerkleBuckets)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "too many buckets");
  }
  const storage::StorageClass c = ClassOf(req->storage_class());
  for (uint32_t bucket : req->buckets()) {
    if (bucket >= storage::kMerkleBuckets) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bucket out of range");
    }
    auto keys = log_->MerkleBucketKeys(c, bucket);
    if (!keys.ok()) return ToGrpc(keys.status());
    for (auto& [key, hash] : *keys) {
      if (!peer->filter.Admits(c, key)) continue;
      v1::KeyHash* k = resp->add_keys();
      k->set_key(key);
      k->set_value_hash(hash);
      k->set_bucket(bucket);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ReplicationService::FetchKeys(grpc::ServerContext* ctx,
                                           const v1::FetchKeysRequest* req,
                                           v1::FetchKeysResponse* resp) {
  PeerInfo peer_info;
  if (grpc::Status denied = Admit(ctx, "FetchKeys", req->storage_class(), &peer_info); !denied.ok()) {
    return denied;
  }
  const PeerInfo* peer = &peer_info;
  if (req->keys_size() > static_cast<int>(kMaxKeysPerFetch)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "too many keys in one fetch");
  }
  const storage::MountClasses mounts = hooks_.mount_classes();
  for (const std::string& key : req->keys()) {
    v1::FetchedKey* out = resp->add_keys();
    out->set_key(key);
    const storage::StorageClass c = storage::Classify(key, mounts).storage_class;
    // A key the peer may not have reads as absent (it then deletes its copy).
    // Node-class keys (this node's WAL and index, a DR secondary's own
    // position and role state) are never of the asked class, and no filter
    // admits them.
    if (c != ClassOf(req->storage_class()) || !peer->filter.Admits(c, key)) continue;
    auto value = log_->Get(key);
    if (!value.ok()) return ToGrpc(value.status());
    if (value->has_value()) {
      out->set_present(true);
      out->set_value(std::move(**value));
    }
  }
  return grpc::Status::OK;
}

grpc::Status ReplicationService::Forward(grpc::ServerContext* ctx, const v1::ForwardRequest* req,
                                         v1::ForwardResponse* resp) {
  PeerInfo peer_info;
  if (grpc::Status denied = Admit(ctx, "Forward", std::nullopt, &peer_info); !denied.ok()) {
    return denied;
  }
  const PeerInfo* peer = &peer_info;
  if (peer->type != Type::kPerformance) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "only performance secondaries forward");
  }
  auto out = hooks_.forward(*peer, *req);
  if (!out.ok()) return ToGrpc(out.status());
  *resp = std::move(*out);
  return grpc::Status::OK;
}

}  // namespace coffer::replication
