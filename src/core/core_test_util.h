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

}  // namespace coffer::core::testing
