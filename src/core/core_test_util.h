// Test helpers for driving a whole Core through Handle() on the in-memory
// backend: one request builder and one way to build (and optionally
// initialise and unseal) a node, shared by the core tests.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/core.h"
#include "crypto/encoding.h"
#include "storage/inmem_backend.h"

namespace coffer::core::testing {

inline Request Req(Operation op, std::string path, Json data = Json::object(),
                   std::string token = "") {
  Request r;
  r.operation = op;
  r.path = std::move(path);
  r.data = std::move(data);
  r.client_token = std::move(token);
  return r;
}

// A sealed, uninitialised node on a fresh in-memory backend. tidy_interval_s
// 0 turns the background token tidy off (deterministic tests).
inline std::unique_ptr<Core> NewInmemCore(int64_t tidy_interval_s = 60) {
  CoreOptions o;
  o.physical = storage::NewInmemBackend();
  o.storage_type = "inmem";
  o.token_tidy_interval_s = tidy_interval_s;
  return std::make_unique<Core>(std::move(o));
}

// Initialises `core` with one key share and unseals it. Returns the root
// token; `hex_key` (when given) receives the unseal key as hex.
inline std::string InitAndUnseal(Core& core, std::string* hex_key = nullptr) {
  auto init = core.Initialize(1, 1);
  EXPECT_TRUE(init.ok()) << init.status().ToString();
  if (!init.ok()) return "";
  std::string key = crypto::HexEncode(init->keys[0]);
  auto unsealed = core.Unseal(key);
  EXPECT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  if (hex_key != nullptr) *hex_key = key;
  return init->root_token;
}

// What a replication stream applies below the router: a kv mount "upstream/"
// added to core/mounts and a key "k" of its data, written through the
// barrier. Returns the entry (nothing in memory knows it yet).
inline MountEntry PutMountUnderneath(Core& core) {
  auto raw = core.barrier().Get("core/mounts");
  EXPECT_TRUE(raw.ok() && raw->has_value());
  Json table = Json::parse(raw.ok() && raw->has_value() ? **raw : std::string("{}"));
  MountEntry added;
  added.path = "upstream/";
  added.type = "kv";
  added.uuid = "0b5f1c7e-1111-2222-3333-444455556666";
  added.accessor = "kv_0badf00d";
  table["entries"].push_back(added.ToJson());
  EXPECT_TRUE(core.barrier().Put("core/mounts", table.dump()).ok());
  EXPECT_TRUE(core.barrier().Put(added.StoragePrefix() + "k", Json{{"v", "up"}}.dump()).ok());
  return added;
}

}  // namespace coffer::core::testing
