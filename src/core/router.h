// Router: the mount tables and longest-prefix routing of request paths to
// engines.
//
// The live table is an immutable snapshot (shared_ptr<const Table>) swapped
// whole on every change (common/shared_snapshot.h), so request threads only
// share a reader lock to route.
// Mutations (mount, unmount, remount, tune) are serialised by one mutex and
// persisted through the barrier before the new snapshot is published.
//
// Storage: the tables live at core/mounts, core/local-mounts, core/auth and
// core/local-auth (JSON {"entries": [...]}). Each mount's data lives under
// MountEntry::StoragePrefix() ("logical/<uuid>/" or "auth/<uuid>/"); the
// built-in sys/ and auth/token/ mounts keep their own keys under "sys/".
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/engine.h"
#include "common/shared_snapshot.h"
#include "coffer/status.h"
#include "coffer/storage.h"
#include "core/storage_view.h"

namespace coffer::core {

class Router {
 public:
  using Factory = std::function<Result<std::shared_ptr<Engine>>(const MountEntry&)>;

  struct Route {
    MountEntry entry;
    std::shared_ptr<Engine> engine;
    std::shared_ptr<StorageView> view;
    std::vector<std::string> unauthenticated;  // relative globs

    bool IsUnauthenticated(const std::string& relative) const;
  };
  using RoutePtr = std::shared_ptr<const Route>;

  struct Match {
    RoutePtr route;
    std::string relative;  // the path inside the mount
  };

  Router(storage::Backend* barrier, Factory factory);

  // Called with every mount entry whenever a new table is published (before
  // the mutation that published it returns). Set once, before first use.
  using PublishHook = std::function<void(const std::vector<MountEntry>&)>;
  void SetPublishHook(PublishHook hook) { publish_hook_ = std::move(hook); }

  // After unseal: loads the tables, or creates them with `defaults` on first
  // use. Engines are instantiated here.
  Status Load(const std::vector<MountEntry>& defaults);
  // The tables changed below the barrier (replication): re-reads them. New
  // mounts get engines, removed ones go, unchanged ones keep their engine.
  Status Reload();
  // On seal: drops every route.
  void Reset();

  // NotFound when no mount matches.
  Result<Match> Find(const std::string& path) const;
  // The mount whose data holds the physical (barrier) key, and the key
  // relative to its view; nullopt for a key of no mount.
  std::optional<Match> FindByStorageKey(std::string_view key) const;
  // All mounts (auth ones when `auth`), sorted by path.
  std::vector<MountEntry> Entries(bool auth) const;
  std::optional<MountEntry> Entry(const std::string& mount_path) const;

  // Validates and adds a mount; fills uuid and accessor. `entry.path` must
  // end with '/' (auth mounts start with "auth/").
  Result<MountEntry> Mount(MountEntry entry);
  // Removes a mount and deletes its data.
  Status Unmount(const std::string& mount_path);
  // Moves a mount (its data stays: it is keyed by uuid).
  Status Remount(const std::string& from, const std::string& to);
  // Applies `mutate` to a copy of the entry; re-creates the engine when the
  // type-specific options changed.
  Status Tune(const std::string& mount_path, const std::function<Status(MountEntry&)>& mutate);

  // Paths that may never be mounted over or removed.
  static bool IsProtected(const std::string& mount_path);

 private:
  struct Table {
    std::vector<RoutePtr> routes;  // longest path first
  };
  using TablePtr = std::shared_ptr<const Table>;

  Result<RoutePtr> MakeRoute(const MountEntry& entry) const;
  // Routes for `entries`; a mount whose uuid, type and options match one of
  // `keep`'s routes keeps that route's engine. Mounts whose engine cannot
  // start are logged and left out.
  std::vector<RoutePtr> BuildRoutes(const std::vector<MountEntry>& entries,
                                    const Table* keep) const;
  // The stored text of one table: the entries of that kind, sorted by path.
  static std::string TableText(const std::vector<MountEntry>& entries, bool is_auth, bool local);
  // Writes the tables whose text changed. REQUIRES: write_mu_ held.
  Status Persist(const std::vector<MountEntry>& entries);
  // Every stored entry; remembers the tables as read. REQUIRES: write_mu_ held.
  Result<std::vector<MountEntry>> ReadTables(bool* found_any);
  TablePtr Snapshot() const { return table_.Load(); }
  void Publish(std::vector<RoutePtr> routes);

  storage::Backend* barrier_;
  Factory factory_;
  PublishHook publish_hook_;
  std::mutex write_mu_;  // serialises mutations
  // TableText of each table as last read or written ("" when absent);
  // [is_auth][local]. GUARDED_BY(write_mu_).
  std::string persisted_[2][2];
  SharedSnapshot<const Table> table_;
};

// Normalises a user-given mount path: no leading '/', one trailing '/'.
std::string NormalizeMountPath(std::string path);

}  // namespace coffer::core
