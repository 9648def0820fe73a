// DR-only operations: what a DR secondary serves (operation tokens and the
// sys/replication/dr/secondary/* operations they authorise), promotion,
// demotion, disable and reindex.
//
// Promotion and demotion change what the whole node is, so they run through
// Core::Reconfigure on the background thread once the request has answered:
// the core tears its in-memory state down, the role states are rewritten,
// and the core sets itself up again from storage (token store, policies,
// mounts, the expiration manager restoring every lease), after which
// Unsealed() starts whatever the role states now say.
#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "core/generate_root.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "replication/manager.h"
#include "replication/manager_internal.h"

namespace coffer::replication {

using namespace internal;

namespace {

constexpr char kDrOpsPrefix[] = "sys/replication/dr/secondary/";
// A DR secondary still streaming from its primary this recently refuses an
// unforced promotion: two primaries would accept writes for one set.
constexpr int64_t kPrimaryAliveMs = 3000;
// How long a demotion waits for its DR secondaries to be sent the last entry.
constexpr std::chrono::milliseconds kDemoteDrainTimeout(10000);

}  // namespace

Result<Response> Manager::DrSecondaryOp(const std::string& op, const Request& req) {
  if (op.starts_with("generate-operation-token/")) {
    std::lock_guard<std::mutex> admin(admin_mu_);
    return GenerateOperationToken(op.substr(std::string_view("generate-operation-token/").size()),
                                  req);
  }
  static const char* const kOps[] = {"promote", "update-primary", "disable", "reindex",
                                     "operation-token/delete"};
  if (std::find(std::begin(kOps), std::end(kOps), op) == std::end(kOps)) {
    return NotFound("unsupported path");
  }
  if (!IsWrite(req.operation)) return Unsupported();
  RETURN_IF_ERROR(AuthorizeOperation(op, req));
  std::lock_guard<std::mutex> admin(admin_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reconfiguring_) {
      return InvalidArgument("a promotion or demotion of this cluster is already in progress");
    }
    if (role(Type::kDr).bootstrapping) {
      return InvalidArgument("this DR secondary is still bootstrapping");
    }
    if (!role(Type::kDr).secondary.has_value()) {
      return InvalidArgument("this cluster is not a DR secondary");
    }
  }
  if (op == "promote") return DrPromote(req);
  if (op == "update-primary") return UpdatePrimary(Type::kDr, req);
  if (op == "disable") return DrDisable();
  if (op == "reindex") return DrReindex();
  return DeleteOperationToken();
}

Status Manager::AuthorizeOperation(const std::string& op, const Request& req) {
  ASSIGN_OR_RETURN(auto token, GetString(req.data, "dr_operation_token"));
  if (!token.has_value() || token->empty()) {
    return InvalidArgument("missing dr_operation_token: operations on a DR secondary need a DR "
                           "operation token (generate-operation-token, or a batch token from "
                           "the primary)");
  }
  // One-shot: generated here from the primary's unseal key shares.
  ASSIGN_OR_RETURN(auto stored, core_.barrier().Get(kDrOperationTokenKey));
  if (stored.has_value() &&
      crypto::ConstantTimeEqual(*stored, crypto::HexEncode(crypto::Sha256(*token)))) {
    return Status::Ok();
  }
  // Batch: minted on the primary, replicated here, policies granting the op.
  auto entry = core_.tokens().Lookup(*token);
  if (entry.ok() && entry->has_value() && (*entry)->IsBatch()) {
    ASSIGN_OR_RETURN(bool granted,
                     core_.TokenGrants(*token, Operation::kUpdate, kDrOpsPrefix + op));
    if (granted) return Status::Ok();
  }
  COFFER_LOG(kWarn, "replication") << "refused DR operation " << op
                                   << ": invalid or insufficient DR operation token";
  return PermissionDenied("invalid DR operation token");
}

Result<Response> Manager::GenerateOperationToken(const std::string& step, const Request& req) {
  ASSIGN_OR_RETURN(auto config, core_.seal().Config());
  if (!config.has_value()) return InvalidArgument("server is not yet initialized");
  const int required = config->secret_threshold;
  core::GenerateRoot& flow = core_.generate_root();
  if (step == "attempt") {
    if (req.operation == Operation::kRead) return Response::RawJson(flow.StatusJson(required));
    if (req.operation == Operation::kDelete) {
      flow.Cancel();
      return Empty();
    }
    if (!IsWrite(req.operation)) return Unsupported();
    ASSIGN_OR_RETURN(auto otp, GetString(req.data, "otp"));
    ASSIGN_OR_RETURN(auto pgp_key, GetString(req.data, "pgp_key"));
    ASSIGN_OR_RETURN(Json status, flow.Start(otp.value_or(""), pgp_key.value_or(""), required));
    return Response::RawJson(status);
  }
  if (step != "update") return NotFound("unsupported path");
  if (!IsWrite(req.operation)) return Unsupported();
  ASSIGN_OR_RETURN(auto key, GetString(req.data, "key"));
  ASSIGN_OR_RETURN(auto nonce, GetString(req.data, "nonce"));
  if (!key.has_value() || key->empty()) return InvalidArgument("missing key");
  if (!nonce.has_value() || nonce->empty()) return InvalidArgument("missing nonce");
  ASSIGN_OR_RETURN(std::string share, core::Seal::DecodeKey(*key, config->secret_shares));
  auto verify = [this](const std::vector<std::string>& shares) {
    return core_.seal().VerifyRootKey(shares);
  };
  // The token exists only as its hash, in this node's storage: it is no
  // token of the token store, has no TTL and ends with operation-token/delete
  // or a promotion.
  auto mint = [this]() -> Result<std::string> {
    std::string token = "hvs." + crypto::RandomBase62(core::kOtpLength - 4);
    RETURN_IF_ERROR(
        core_.barrier().Put(kDrOperationTokenKey, crypto::HexEncode(crypto::Sha256(token))));
    COFFER_LOG(kInfo, "replication") << "DR operation token generated";
    return token;
  };
  auto result = flow.Update(share, *nonce, required, verify, mint);
  OPENSSL_cleanse(share.data(), share.size());
  if (!result.ok()) return result.status();
  return Response::RawJson(*result);
}

Result<Response> Manager::DeleteOperationToken() {
  RETURN_IF_ERROR(core_.barrier().Delete(kDrOperationTokenKey));
  COFFER_LOG(kInfo, "replication") << "DR operation token deleted";
  return Empty();
}

void Manager::BeginReconfigure(std::string what, std::function<Status()> change) {
  if (background_.joinable()) background_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    reconfiguring_ = true;
    reconfigure_error_.clear();
  }
  background_ = std::thread([this, what = std::move(what), change = std::move(change)] {
    const auto started = std::chrono::steady_clock::now();
    Status st = core_.Reconfigure(change);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    std::lock_guard<std::mutex> lock(mu_);
    reconfiguring_ = false;
    if (!st.ok()) {
      reconfigure_error_ = what + " failed: " + st.message();
      COFFER_LOG(kError, "replication") << what << " failed: " << st.ToString();
    } else {
      COFFER_LOG(kInfo, "replication") << what << " done in " << ms << " ms";
    }
  });
}

Result<Response> Manager::DrPromote(const Request& req) {
  ASSIGN_OR_RETURN(auto addr, GetString(req.data, "primary_cluster_addr"));
  ASSIGN_OR_RETURN(auto force, GetBool(req.data, "force"));
  SecondaryState s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = *role(Type::kDr).secondary;
    if (!force.value_or(false) && role(Type::kDr).client) {
      ClientStatus cs = role(Type::kDr).client->status();
      if (cs.connection_state == "ready" && cs.state == "stream-wals" &&
          UnixMillis() - cs.last_heartbeat_ms < kPrimaryAliveMs) {
        return InvalidArgument(
            "the DR primary at " + s.primary_cluster_addr +
            " is still reachable and streaming to this cluster; demote it first "
            "(sys/replication/dr/primary/demote) or promote with force=true");
      }
    }
  }
  const std::string new_addr = addr.value_or("");
  BeginReconfigure("DR promotion", [this, s, new_addr]() -> Status {
    storage::Backend& barrier = core_.barrier();
    // Writable again, and no longer a DR secondary.
    RETURN_IF_ERROR(SetSecondaryMarker(Type::kDr, false));
    RETURN_IF_ERROR(barrier.Delete(kDrOperationTokenKey));
    // This cluster leads the DR set now, one generation on: secondaries that
    // follow it refuse the old primary from then on.
    ASSIGN_OR_RETURN(auto held, LoadPrimary(barrier, Type::kDr));
    PrimaryState p;
    if (held.has_value() && held->cluster_id == s.cluster_id) {
      p = std::move(*held);
    } else {
      p.cluster_id = s.cluster_id;
      ASSIGN_OR_RETURN(p.ca, cluster::NewCa("coffer dr CA " + p.cluster_id.substr(0, 8)));
      ASSIGN_OR_RETURN(p.signing_key, crypto::RandomBytes(32));
    }
    p.generation = std::max(p.generation, s.generation) + 1;
    p.primary_cluster_addr = new_addr;
    p.secondaries.erase(s.secondary_id);
    RETURN_IF_ERROR(SavePrimary(barrier, Type::kDr, p));
    // It takes its old primary's place in the performance set: as its
    // primary (one generation on), or as the same secondary.
    ASSIGN_OR_RETURN(auto perf_primary, LoadPrimary(barrier, Type::kPerformance));
    if (perf_primary.has_value()) {
      perf_primary->generation += 1;
      perf_primary->primary_cluster_addr = new_addr;
      RETURN_IF_ERROR(SavePrimary(barrier, Type::kPerformance, *perf_primary));
    }
    ASSIGN_OR_RETURN(auto perf_secondary, LoadSecondary(barrier, Type::kPerformance));
    RETURN_IF_ERROR(SetSecondaryMarker(Type::kPerformance, perf_secondary.has_value()));
    // Last: until here a crash leaves a DR secondary that can be promoted again.
    RETURN_IF_ERROR(barrier.Delete(SecondaryStateKey(Type::kDr)));
    COFFER_LOG(kInfo, "replication") << "promoted to DR primary of set " << p.cluster_id
                                     << " at generation " << p.generation;
    return Status::Ok();
  });
  return WithWarning(
      "Promotion started: this cluster becomes the DR primary (and takes its old primary's "
      "place in the performance set) within seconds; every token and lease stays valid. Other "
      "DR secondaries need update-primary; demote the old primary if it comes back.");
}

Result<Response> Manager::DrDemote() {
  SecondaryState s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Role& dr = role(Type::kDr);
    if (!dr.primary.has_value()) return InvalidArgument("DR replication is not enabled as a primary");
    if (reconfiguring_) {
      return InvalidArgument("a promotion or demotion of this cluster is already in progress");
    }
    s.cluster_id = dr.primary->cluster_id;
    s.generation = dr.primary->generation;
    s.connect = false;
  }
  // The role first (node class; the primary state stays, ignored while a DR
  // secondary: promoted again, this cluster leads the same set with the same
  // CA), then the marker: from here on writes are refused and clients get
  // 400. The marker's own write passes through the group-commit queue, so
  // every write accepted before it has committed when it returns.
  StopCanary();
  RETURN_IF_ERROR(SaveSecondary(core_.barrier(), Type::kDr, s));
  RETURN_IF_ERROR(SetSecondaryMarker(Type::kDr, true));
  // A planned failover loses nothing: the streams still run until every
  // connected DR secondary has been sent the last entry (bounded).
  auto last = core_.replicated_log().LastPosition();
  const uint64_t target = last.ok() ? last->index : 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool drained = links_cv_.wait_for(lock, kDemoteDrainTimeout, [&] {
      for (const auto& [id, link] : role(Type::kDr).links) {
        if (link.connected && link.sent_index < target) return false;
      }
      return true;
    });
    if (!drained) {
      COFFER_LOG(kWarn, "replication") << "DR demotion: not every connected DR secondary was "
                                       << "sent wal index " << target << " within "
                                       << kDemoteDrainTimeout.count() << " ms";
    }
  }
  BeginReconfigure("DR demotion", [] {
    COFFER_LOG(kInfo, "replication") << "DR primary demoted to a DR secondary with no primary";
    return Status::Ok();
  });
  return WithWarning(
      "Demoted: this cluster is a DR secondary that connects nowhere and serves no client "
      "requests (its DR secondaries were sent every write first). Point it at the new primary "
      "with sys/replication/dr/secondary/update-primary and a DR operation token.");
}

Result<Response> Manager::DrDisable() {
  BeginReconfigure("DR secondary disable", [this]() -> Status {
    storage::Backend& barrier = core_.barrier();
    RETURN_IF_ERROR(SetSecondaryMarker(Type::kDr, false));
    RETURN_IF_ERROR(SetSecondaryMarker(Type::kPerformance, false));
    // The role states it holds are its old primary's: a standalone cluster
    // leads and follows nothing.
    for (Type t : {Type::kPerformance, Type::kDr}) {
      RETURN_IF_ERROR(barrier.Delete(PrimaryStateKey(t)));
      RETURN_IF_ERROR(barrier.Delete(SecondaryStateKey(t)));
    }
    RETURN_IF_ERROR(barrier.Delete(kDrOperationTokenKey));
    COFFER_LOG(kInfo, "replication") << "DR replication disabled (was secondary)";
    return Status::Ok();
  });
  return WithWarning("This cluster stops being a DR secondary and becomes a standalone cluster "
                     "with the data it holds; enabling it as a secondary again wipes it.");
}

Result<Response> Manager::DrReindex() {
  std::unique_ptr<SecondaryClient> client;
  SecondaryState s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = *role(Type::kDr).secondary;
    client = std::move(role(Type::kDr).client);
  }
  if (client) client->Stop();
  if (background_.joinable()) background_.join();
  // A full Merkle comparison with the primary, both classes: every differing
  // key fetched again, every extra one removed; then streaming resumes.
  background_ = std::thread([this, s] {
    {
      SecondaryClient once(Type::kDr, s, &core_.replicated_log(),
                           ClientHooks{.applied = [this](std::vector<std::string> keys, uint64_t) {
                             EnqueueInvalidation(Type::kDr, std::move(keys), 0);
                           }});
      Status st = once.Sync(options_.bootstrap_timeout);
      if (!st.ok()) {
        COFFER_LOG(kError, "replication") << "DR reindex: " << st.ToString();
      } else {
        COFFER_LOG(kInfo, "replication") << "DR reindex done: " << once.status().keys_fetched
                                         << " keys fetched, " << once.status().keys_removed
                                         << " removed";
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    Role& dr = role(Type::kDr);
    dr.last_reindex_s = UnixSeconds();
    if (dr.secondary.has_value() && dr.secondary->connect && !dr.client && !core_.Sealed()) {
      dr.client = StartClient(Type::kDr, *dr.secondary);
    }
  });
  return WithWarning("Reindex started: the DR secondary compares all of its data with the "
                     "primary's and fetches what differs; streaming resumes afterwards.");
}

}  // namespace coffer::replication
