#include "core/router.h"

#include <algorithm>

#include "common/log.h"
#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

constexpr const char* kTableKeys[2][2] = {
    // [is_auth][local]
    {"core/mounts", "core/local-mounts"},
    {"core/auth", "core/local-auth"},
};

bool GlobMatch(const std::string& glob, const std::string& path) {
  if (!glob.empty() && glob.back() == '*') {
    return path.compare(0, glob.size() - 1, glob, 0, glob.size() - 1) == 0;
  }
  return glob == path;
}

}  // namespace

std::string NormalizeMountPath(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  while (path.size() > 1 && path.back() == '/' && path[path.size() - 2] == '/') path.pop_back();
  if (!path.empty() && path.back() != '/') path.push_back('/');
  return path;
}

bool Router::Route::IsUnauthenticated(const std::string& relative) const {
  for (const auto& g : unauthenticated) {
    if (GlobMatch(g, relative)) return true;
  }
  return false;
}

Router::Router(storage::Backend* barrier, Factory factory)
    : barrier_(barrier), factory_(std::move(factory)), table_(std::make_shared<const Table>()) {}

bool Router::IsProtected(const std::string& mount_path) {
  return mount_path == "sys/" || mount_path == "cubbyhole/" || mount_path == "auth/token/" ||
         mount_path == "identity/";
}

Result<Router::RoutePtr> Router::MakeRoute(const MountEntry& entry) const {
  ASSIGN_OR_RETURN(std::shared_ptr<Engine> engine, factory_(entry));
  auto route = std::make_shared<Route>();
  route->entry = entry;
  route->engine = std::move(engine);
  route->view = std::make_shared<StorageView>(barrier_, entry.StoragePrefix());
  route->unauthenticated = route->engine->UnauthenticatedPaths();
  return RoutePtr(std::move(route));
}

void Router::Publish(std::vector<RoutePtr> routes) {
  std::sort(routes.begin(), routes.end(), [](const RoutePtr& a, const RoutePtr& b) {
    if (a->entry.path.size() != b->entry.path.size()) {
      return a->entry.path.size() > b->entry.path.size();
    }
    return a->entry.path < b->entry.path;
  });
  if (publish_hook_) {
    std::vector<MountEntry> entries;
    for (const auto& r : routes) entries.push_back(r->entry);
    publish_hook_(entries);
  }
  auto table = std::make_shared<Table>();
  table->routes = std::move(routes);
  table_.Store(std::move(table));
}

std::string Router::TableText(const std::vector<MountEntry>& entries, bool is_auth, bool local) {
  std::vector<const MountEntry*> rows;
  for (const auto& e : entries) {
    if (e.is_auth == is_auth && e.local == local) rows.push_back(&e);
  }
  // Sorted, so the same mounts always give the same text.
  std::sort(rows.begin(), rows.end(),
            [](const MountEntry* a, const MountEntry* b) { return a->path < b->path; });
  Json table = {{"entries", Json::array()}};
  for (const MountEntry* e : rows) table["entries"].push_back(e->ToJson());
  return table.dump();
}

Status Router::Persist(const std::vector<MountEntry>& entries) {
  // Only the tables that changed are written: a performance secondary may
  // change its local tables, never the replicated ones.
  std::string texts[2][2];
  storage::Batch batch;
  for (int a = 0; a < 2; ++a) {
    for (int l = 0; l < 2; ++l) {
      texts[a][l] = TableText(entries, a == 1, l == 1);
      if (texts[a][l] != persisted_[a][l]) {
        batch.push_back(storage::Op::Put(kTableKeys[a][l], texts[a][l]));
      }
    }
  }
  if (batch.empty()) return Status::Ok();
  RETURN_IF_ERROR(barrier_->Write(batch));
  for (int a = 0; a < 2; ++a) {
    for (int l = 0; l < 2; ++l) persisted_[a][l] = std::move(texts[a][l]);
  }
  return Status::Ok();
}

Result<std::vector<MountEntry>> Router::ReadTables(bool* found_any) {
  std::vector<MountEntry> entries;
  std::string texts[2][2];
  *found_any = false;
  for (int a = 0; a < 2; ++a) {
    for (int l = 0; l < 2; ++l) {
      ASSIGN_OR_RETURN(auto raw, barrier_->Get(kTableKeys[a][l]));
      if (!raw.has_value()) continue;
      *found_any = true;
      Json j = Json::parse(*raw, nullptr, false);
      if (j.is_discarded() || !j.contains("entries") || !j["entries"].is_array()) {
        return Corruption(std::string("mount table ") + kTableKeys[a][l] + " is unreadable");
      }
      std::vector<MountEntry> table;
      for (const auto& row : j["entries"]) {
        ASSIGN_OR_RETURN(MountEntry e, MountEntry::FromJson(row));
        table.push_back(std::move(e));
      }
      // What Persist would write for the table as read: a table is
      // rewritten only when its mounts change.
      texts[a][l] = TableText(table, a == 1, l == 1);
      for (auto& e : table) entries.push_back(std::move(e));
    }
  }
  for (int a = 0; a < 2; ++a) {
    for (int l = 0; l < 2; ++l) persisted_[a][l] = std::move(texts[a][l]);
  }
  return entries;
}

Status Router::Load(const std::vector<MountEntry>& defaults) {
  std::lock_guard<std::mutex> lock(write_mu_);
  bool found_any = false;
  ASSIGN_OR_RETURN(std::vector<MountEntry> entries, ReadTables(&found_any));
  if (!found_any) {
    entries = defaults;
    RETURN_IF_ERROR(Persist(entries));
  } else {
    // Built-in mounts added by a newer version (or a local table not there
    // yet, as on a new performance secondary) appear now.
    bool added = false;
    for (const auto& d : defaults) {
      bool present = std::any_of(entries.begin(), entries.end(),
                                 [&](const MountEntry& e) { return e.path == d.path; });
      if (!present) {
        entries.push_back(d);
        added = true;
      }
    }
    if (added) RETURN_IF_ERROR(Persist(entries));
  }
  Publish(BuildRoutes(entries, nullptr));
  return Status::Ok();
}

Status Router::Reload() {
  std::lock_guard<std::mutex> lock(write_mu_);
  bool found_any = false;
  ASSIGN_OR_RETURN(std::vector<MountEntry> entries, ReadTables(&found_any));
  if (!found_any) return Status::Ok();  // nothing stored: keep what is mounted
  TablePtr table = Snapshot();
  Publish(BuildRoutes(entries, table.get()));
  return Status::Ok();
}

std::vector<Router::RoutePtr> Router::BuildRoutes(const std::vector<MountEntry>& entries,
                                                  const Table* keep) const {
  std::vector<RoutePtr> routes;
  for (const auto& e : entries) {
    RoutePtr current;
    if (keep != nullptr) {
      for (const auto& r : keep->routes) {
        if (r->entry.uuid == e.uuid) current = r;
      }
    }
    if (current && current->entry.type == e.type && current->entry.options == e.options) {
      // Same mount, same engine: keep the engine (and what it caches);
      // path, TTLs and other tune fields come from the new entry.
      auto r = std::make_shared<Route>(*current);
      r->entry = e;
      routes.push_back(std::move(r));
      continue;
    }
    auto route = MakeRoute(e);
    if (!route.ok()) {
      // A mount whose engine cannot start must not take the node down.
      COFFER_LOG(kError, "router") << "cannot start engine for mount " << e.path << " (type "
                                   << e.type << "): " << route.status().ToString();
      continue;
    }
    routes.push_back(std::move(route).value());
  }
  return routes;
}

std::optional<Router::Match> Router::FindByStorageKey(std::string_view key) const {
  // Held for the loop: the range's temporary pointer would die before it.
  const TablePtr table = Snapshot();
  for (const auto& r : table->routes) {
    const std::string& prefix = r->view->prefix();
    if (!prefix.empty() && key.substr(0, prefix.size()) == prefix) {
      return Match{r, std::string(key.substr(prefix.size()))};
    }
  }
  return std::nullopt;
}

void Router::Reset() { table_.Store(std::make_shared<const Table>()); }

Result<Router::Match> Router::Find(const std::string& path) const {
  // Every request routes: scan under the read lock and copy only the route.
  RoutePtr found;
  size_t relative_from = 0;
  table_.Read([&](const Table& table) {
    for (const auto& r : table.routes) {
      const std::string& mp = r->entry.path;
      if (path.compare(0, mp.size(), mp) == 0) {
        found = r;
        relative_from = mp.size();
        return;
      }
      if (path.size() + 1 == mp.size() && mp.compare(0, path.size(), path) == 0) {
        found = r;
        relative_from = path.size();
        return;
      }
    }
  });
  if (!found) return NotFound("no handler for route \"" + path + "\". route entry not found.");
  return Match{std::move(found), path.substr(relative_from)};
}

std::vector<MountEntry> Router::Entries(bool auth) const {
  std::vector<MountEntry> out;
  const TablePtr table = Snapshot();
  for (const auto& r : table->routes) {
    if (r->entry.is_auth == auth) out.push_back(r->entry);
  }
  std::sort(out.begin(), out.end(),
            [](const MountEntry& a, const MountEntry& b) { return a.path < b.path; });
  return out;
}

std::optional<MountEntry> Router::Entry(const std::string& mount_path) const {
  const TablePtr table = Snapshot();
  for (const auto& r : table->routes) {
    if (r->entry.path == mount_path) return r->entry;
  }
  return std::nullopt;
}

Result<MountEntry> Router::Mount(MountEntry entry) {
  std::lock_guard<std::mutex> lock(write_mu_);
  entry.path = NormalizeMountPath(entry.path);
  const std::string& p = entry.path;
  if (p.empty() || p == "/") return InvalidArgument("mount path cannot be empty");
  if (p.find("..") != std::string::npos) return InvalidArgument("mount path cannot contain '..'");
  if (!entry.is_auth && p.rfind("auth/", 0) == 0) {
    return InvalidArgument("cannot mount under auth/");
  }
  if (!entry.is_auth && p.rfind("sys/", 0) == 0) return InvalidArgument("cannot mount under sys/");
  if (IsProtected(p)) return InvalidArgument("cannot mount at reserved path \"" + p + "\"");
  TablePtr table = Snapshot();
  for (const auto& r : table->routes) {
    const std::string& existing = r->entry.path;
    if (p.compare(0, existing.size(), existing) == 0 ||
        existing.compare(0, p.size(), p) == 0) {
      return InvalidArgument("path is already in use at " + existing);
    }
  }
  if (entry.uuid.empty()) entry.uuid = crypto::RandomUuid();
  if (entry.accessor.empty()) {
    ASSIGN_OR_RETURN(std::string rnd, crypto::RandomBytes(4));
    entry.accessor = (entry.is_auth ? "auth_" : "") + entry.type + "_" + crypto::HexEncode(rnd);
  }
  ASSIGN_OR_RETURN(RoutePtr route, MakeRoute(entry));
  std::vector<RoutePtr> routes = table->routes;
  routes.push_back(route);
  std::vector<MountEntry> entries;
  for (const auto& r : routes) entries.push_back(r->entry);
  RETURN_IF_ERROR(Persist(entries));
  Publish(std::move(routes));
  COFFER_LOG(kInfo, "router") << "mounted " << entry.type << " at " << entry.path;
  return entry;
}

Status Router::Unmount(const std::string& mount_path) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::string p = NormalizeMountPath(mount_path);
  if (IsProtected(p)) return InvalidArgument("cannot unmount \"" + p + "\"");
  TablePtr table = Snapshot();
  std::vector<RoutePtr> routes;
  RoutePtr removed;
  for (const auto& r : table->routes) {
    if (r->entry.path == p) {
      removed = r;
    } else {
      routes.push_back(r);
    }
  }
  // Vault answers 204 for a path that is not mounted.
  if (!removed) return Status::Ok();
  std::vector<MountEntry> entries;
  for (const auto& r : routes) entries.push_back(r->entry);
  // Table first: a crash after it leaves orphaned data, never a mount
  // pointing at deleted data.
  RETURN_IF_ERROR(Persist(entries));
  Publish(std::move(routes));
  RETURN_IF_ERROR(removed->view->Clear());
  COFFER_LOG(kInfo, "router") << "unmounted " << p;
  return Status::Ok();
}

Status Router::Remount(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::string src = NormalizeMountPath(from);
  std::string dst = NormalizeMountPath(to);
  if (IsProtected(src) || IsProtected(dst)) {
    return InvalidArgument("cannot remount \"" + src + "\"");
  }
  if (dst.empty() || dst.find("..") != std::string::npos) {
    return InvalidArgument("invalid destination mount path");
  }
  TablePtr table = Snapshot();
  RoutePtr moving;
  for (const auto& r : table->routes) {
    if (r->entry.path == src) moving = r;
  }
  if (!moving) return InvalidArgument("no matching mount at \"" + src + "\"");
  if ((src.rfind("auth/", 0) == 0) != (dst.rfind("auth/", 0) == 0)) {
    return InvalidArgument("cannot remount between secrets engines and auth methods");
  }
  for (const auto& r : table->routes) {
    if (r == moving) continue;
    const std::string& existing = r->entry.path;
    if (dst.compare(0, existing.size(), existing) == 0 ||
        existing.compare(0, dst.size(), dst) == 0) {
      return InvalidArgument("path already in use at " + existing);
    }
  }
  auto moved = std::make_shared<Route>(*moving);
  moved->entry.path = dst;
  std::vector<RoutePtr> routes;
  for (const auto& r : table->routes) routes.push_back(r == moving ? RoutePtr(moved) : r);
  std::vector<MountEntry> entries;
  for (const auto& r : routes) entries.push_back(r->entry);
  RETURN_IF_ERROR(Persist(entries));
  Publish(std::move(routes));
  COFFER_LOG(kInfo, "router") << "remounted " << src << " to " << dst;
  return Status::Ok();
}

Status Router::Tune(const std::string& mount_path,
                    const std::function<Status(MountEntry&)>& mutate) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::string p = NormalizeMountPath(mount_path);
  TablePtr table = Snapshot();
  RoutePtr current;
  for (const auto& r : table->routes) {
    if (r->entry.path == p) current = r;
  }
  if (!current) return InvalidArgument("no mount at \"" + p + "\"");
  MountEntry updated = current->entry;
  RETURN_IF_ERROR(mutate(updated));
  RoutePtr replacement;
  if (updated.options != current->entry.options || updated.type != current->entry.type) {
    ASSIGN_OR_RETURN(replacement, MakeRoute(updated));
  } else {
    auto r = std::make_shared<Route>(*current);
    r->entry = updated;
    replacement = std::move(r);
  }
  std::vector<RoutePtr> routes;
  for (const auto& r : table->routes) routes.push_back(r == current ? replacement : r);
  std::vector<MountEntry> entries;
  for (const auto& r : routes) entries.push_back(r->entry);
  RETURN_IF_ERROR(Persist(entries));
  Publish(std::move(routes));
  return Status::Ok();
}

}  // namespace coffer::core
