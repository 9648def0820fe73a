// The primary side of the cluster port: the gRPC Replication service.
//
// Every RPC first identifies the peer by its verified client certificate
// (the TLS layer already refused certificates of other sets): the
// fingerprint must belong to a registered, unrevoked secondary, else
// PERMISSION_DENIED and a log line. Then:
//   StreamWals  entries after (index, hash), filtered for the peer (a DR
//               peer gets both classes unredacted), then
//               waits for new commits; a heartbeat message every second when
//               idle; ends with gap_reason when the log cannot continue there
//               (trimmed, other history, or an index beyond this log's
//               last: a secondary re-pointed at a promoted cluster); re-checks the peer on every round, so a revoked
//               secondary is cut off within a second. Every message
//               carries this primary's generation of the set.
//   MerkleDiff  bucket hashes + the WAL position they are consistent with,
//               and the primary's generation.
//   MerkleKeys  (key, value hash) of asked buckets, filtered for the peer.
//   FetchKeys   stored values (ciphertext) of asked keys the peer may have;
//               never a node-class key.
//   A performance peer sees the replicated class only; a DR peer (type kDr,
//   filter.replicated_only false: DrFilter()) both. StreamWals and MerkleDiff
//   refuse (FAILED_PRECONDITION) a secondary that knows a newer generation
//   than this primary's (PeerInfo.generation): a newer primary leads the set.
//   Forward     runs a request the secondary could not serve (it writes
//               replicated storage) and returns the rendered response with
//               the WAL index the secondary must reach before answering.
//
// Thread-safety: gRPC calls the methods concurrently; the hooks must be
// thread-safe. Stop() ends running streams within a second.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "replication.grpc.pb.h"
#include "replication/stream_filter.h"
#include "replication/types.h"
#include "storage/replicated_log.h"

namespace coffer::replication {

struct PeerInfo {
  Type type = Type::kPerformance;
  std::string secondary_id;
  uint64_t generation = 1;  // this primary's generation of the peer's set
  StreamFilter filter;      // a DR peer: DrFilter()
};

struct ServiceHooks {
  // The registered secondary holding this certificate fingerprint, or nullopt.
  std::function<std::optional<PeerInfo>(const std::string& fingerprint)> authorize;
  // A stream to `id` sent something (connected) or ended (disconnected).
  // `sent_index`: the last WAL index the stream has handed to the transport.
  std::function<void(Type type, const std::string& id, bool connected, uint64_t sent_index)> seen;
  // Runs a forwarded request on this (primary) node.
  std::function<Result<v1::ForwardResponse>(const PeerInfo& peer, const v1::ForwardRequest& req)>
      forward;
  // This node's live mount tables as a classification snapshot (taken once
  // per FetchKeys call, not per key).
  std::function<storage::MountClasses()> mount_classes;
};

class ReplicationService final : public v1::Replication::Service {
 public:
  ReplicationService(storage::ReplicatedLog* log, ServiceHooks hooks);
  void Stop() { stopped_ = true; }

  grpc::Status StreamWals(grpc::ServerContext* ctx, const v1::StreamWalsRequest* req,
                          grpc::ServerWriter<v1::StreamWalsResponse>* writer) override;
  grpc::Status MerkleDiff(grpc::ServerContext* ctx, const v1::MerkleDiffRequest* req,
                          v1::MerkleDiffResponse* resp) override;
  grpc::Status MerkleKeys(grpc::ServerContext* ctx, const v1::MerkleKeysRequest* req,
                          v1::MerkleKeysResponse* resp) override;
  grpc::Status FetchKeys(grpc::ServerContext* ctx, const v1::FetchKeysRequest* req,
                         v1::FetchKeysResponse* resp) override;
  grpc::Status Forward(grpc::ServerContext* ctx, const v1::ForwardRequest* req,
                       v1::ForwardResponse* resp) override;

 private:
  // The peer of ctx, or the PERMISSION_DENIED status to return.
  std::optional<PeerInfo> Authorize(grpc::ServerContext* ctx, const char* rpc);
  // OK with *peer filled when the caller is a registered secondary that may
  // see `storage_class` (performance peers: replicated only); else the
  // PERMISSION_DENIED status to return.
  grpc::Status Admit(grpc::ServerContext* ctx, const char* rpc,
                     std::optional<v1::StorageClass> storage_class, PeerInfo* peer);

  storage::ReplicatedLog* const log_;
  const ServiceHooks hooks_;
  std::atomic<bool> stopped_{false};
};

// Limits on one request, so a peer cannot make the primary build huge answers.
inline constexpr size_t kMaxStreamBatch = 256;
inline constexpr size_t kMaxKeysPerFetch = 4096;

}  // namespace coffer::replication
