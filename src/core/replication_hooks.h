// ReplicationHooks: what the replication module (src/replication/) plugs into
// the core. The core knows nothing of clusters, streams or certificates; it
// calls these at fixed points of a request and of the seal lifecycle. Every
// hook is optional: with none installed the node is a standalone cluster.
//
//   Handle(req) ─► check_index ─► route ─► token ─► ACL ─► engine
//                                                         │ kReadOnly
//                                                         ▼
//                                                  forward(req, caller)
//   sys/replication/* ─► token ─► ACL ─► handle_sys(req, caller)
//   sys/metrics ─► token ─► ACL ─► core gauges + metrics()
//   sys/replication{,/performance,/dr}/status ─► handle_sys(req, nullptr)
//   successful write ─► index_header() ─► X-Vault-Index response header
//
// While dr_secondary() is true (a DR secondary) Handle serves only:
//   sys/{health,seal-status,unseal,leader,init} and the three status routes
//   sys/replication/dr/secondary/* ─► handle_sys(req, nullptr), no token check
//   anything else ─► 400 "path disabled in replication DR secondary mode"
// and the core runs no background writer (no expiration manager, no token
// tidy); sys/health answers 472 (drsecondarycode).
//
// Thread-safety: hooks are installed once, before the node serves, and are
// then called concurrently from request threads.
#pragma once

#include <functional>
#include <string>

#include "coffer/engine.h"
#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"

namespace coffer::core {

struct ReplicationHooks {
  // A request whose engine hit read-only storage (it writes the replicated
  // class on a performance secondary): send it to the primary and return what
  // it answered. `caller` is null for an unauthenticated request.
  std::function<Result<Response>(const Request& req, const Caller* caller)> forward;
  // sys/replication/..., after the token and ACL checks. The three status
  // endpoints come with a null caller, in any seal state and without the
  // core's state lock. (sys/metrics is the core's; it appends `metrics`.)
  std::function<Result<Response>(const Request& req, const Caller* caller)> handle_sys;
  // Fields added to (or replacing) the sys/health body's
  // (replication_performance_mode, replication_dr_mode, last_wal, ...);
  // called in any seal state, without the state lock.
  std::function<Json()> health;
  // Before routing: kPreconditionFailed "required index state not present"
  // when the request carries an X-Vault-Index this node has not reached
  // within the bounded wait.
  std::function<Status(const Request& req)> check_index;
  // After a successful write: the X-Vault-Index value to return.
  std::function<std::string()> index_header;
  // Seal lifecycle: called after the node is unsealed and set up, and before
  // it tears down for a seal (with the state lock held).
  std::function<void()> unsealed;
  std::function<void()> sealing;
  // Prometheus text lines for sys/metrics?format=prometheus.
  std::function<std::string()> metrics;
  // True while this node is a DR secondary (unset: never). Called on every
  // request, without the state lock, and by PostUnseal (with it held
  // exclusively) to decide whether the expiration manager starts: so it must
  // be cheap, must not take the state lock, and must already answer true when
  // a DR secondary unseals (before `unsealed` runs), e.g. from a node marker
  // read when the node opens. Core::Reconfigure re-reads it after its
  // `between` step (promotion/demotion).
  std::function<bool()> dr_secondary;
};

}  // namespace coffer::core
