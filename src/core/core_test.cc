// Core end to end through Handle(): init, unseal, seal, health, generate-root,
// key rotation, on the in-memory backend.
#include "core/core.h"

#include <gtest/gtest.h>

#include "core/core_test_util.h"
#include "crypto/encoding.h"

namespace coffer::core {
namespace {

using testing::Req;

Json Body(const Result<Response>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  EXPECT_EQ(r->kind, Response::Kind::kRaw);
  return Json::parse(r->raw_body);
}

class CoreTest : public ::testing::Test {
 protected:
  CoreTest() : core_(testing::NewInmemCore()) {}

  // Initialises with 5/3 and returns the base64 keys and the root token.
  std::pair<std::vector<std::string>, std::string> Init() {
    auto r = core_->Handle(Req(Operation::kUpdate, "sys/init",
                               {{"secret_shares", 5}, {"secret_threshold", 3}}));
    Json b = Body(r);
    return {b["keys_base64"].get<std::vector<std::string>>(), b["root_token"].get<std::string>()};
  }

  void UnsealWith(const std::vector<std::string>& keys, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      Json b = Body(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", keys[i]}})));
      EXPECT_EQ(b["sealed"], i + 1 < 3);
    }
  }

  std::unique_ptr<Core> core_;
};

TEST_F(CoreTest, UninitialisedNodeIsSealedAndHealthSays501) {
  Json init = Body(core_->Handle(Req(Operation::kRead, "sys/init")));
  EXPECT_EQ(init["initialized"], false);
  auto health = core_->Handle(Req(Operation::kRead, "sys/health"));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 501);
  auto other = core_->Handle(Req(Operation::kRead, "sys/key-status", {}, "x"));
  EXPECT_EQ(other.status().code(), Code::kSealed);
}

TEST_F(CoreTest, InitUnsealSealCycle) {
  auto [keys, root] = Init();
  ASSERT_EQ(keys.size(), 5u);
  EXPECT_EQ(root.size(), 28u);
  EXPECT_EQ(root.rfind("hvs.", 0), 0u);

  Json status = Body(core_->Handle(Req(Operation::kRead, "sys/seal-status")));
  EXPECT_EQ(status["sealed"], true);
  EXPECT_EQ(status["t"], 3);
  EXPECT_EQ(status["n"], 5);
  EXPECT_FALSE(status.contains("cluster_id"));
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/health"))->status, 503);

  // Progress advances, a repeated share does not count twice, nonce is stable.
  Json p1 = Body(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", keys[0]}})));
  Json p1again = Body(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", keys[0]}})));
  EXPECT_EQ(p1["progress"], 1);
  EXPECT_EQ(p1again["progress"], 1);
  EXPECT_EQ(p1["nonce"], p1again["nonce"]);
  EXPECT_NE(p1["nonce"], "");
  // Hex works as well as base64.
  auto hex1 = crypto::HexEncode(*crypto::Base64Decode(keys[1]));
  Json p2 = Body(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", hex1}})));
  EXPECT_EQ(p2["progress"], 2);
  Json p3 = Body(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", keys[2]}})));
  EXPECT_EQ(p3["sealed"], false);
  EXPECT_NE(p3["cluster_id"], "");

  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/health"))->status, 200);
  auto ks = core_->Handle(Req(Operation::kRead, "sys/key-status", {}, root));
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  EXPECT_EQ(ks->data["term"], 1);

  // Bad and missing tokens.
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/key-status", {}, "hvs.nope")).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/key-status")).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/nothing-here", {}, root)).status().code(),
            Code::kNotFound);

  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "sys/rotate", {}, root)).ok());
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/key-status", {}, root))->data["term"], 2);

  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "sys/seal", {}, root)).ok());
  EXPECT_TRUE(core_->Sealed());
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/key-status", {}, root)).status().code(),
            Code::kSealed);
  UnsealWith({keys[4], keys[3], keys[1]}, 3);
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/key-status", {}, root))->data["term"], 2);
}

TEST_F(CoreTest, InitValidationAndTwice) {
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/init",
                              {{"secret_shares", 3}, {"secret_threshold", 4}}))
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/init",
                              {{"secret_shares", 3}, {"secret_threshold", 1}}))
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/init", {{"secret_shares", "x"}}))
                .status()
                .code(),
            Code::kInvalidArgument);
  Init();
  auto again = core_->Handle(
      Req(Operation::kUpdate, "sys/init", {{"secret_shares", 1}, {"secret_threshold", 1}}));
  EXPECT_EQ(again.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(again.status().message(), "Vault is already initialized");
}

TEST_F(CoreTest, UnsealErrors) {
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", "abcd"}})).status().code(),
            Code::kInvalidArgument);  // not initialised
  auto [keys, root] = Init();
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/unseal")).status().message(),
            "'key' must be specified in request body as JSON, or 'reset' set to true");
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", "!!notakey!!"}}))
                .status()
                .code(),
            Code::kInvalidArgument);
  // Shares of another cluster: the attempt fails and resets, still sealed.
  CoreOptions o;
  o.physical = storage::NewInmemBackend();
  Core other(std::move(o));
  auto other_init = other.Initialize(5, 3);
  ASSERT_TRUE(other_init.ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "sys/unseal",
                                  {{"key", crypto::Base64Encode(other_init->keys[i])}}))
                    .ok());
  }
  auto bad = core_->Handle(Req(Operation::kUpdate, "sys/unseal",
                               {{"key", crypto::Base64Encode(other_init->keys[2])}}));
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(core_->Sealed());
  EXPECT_EQ(Body(core_->Handle(Req(Operation::kRead, "sys/seal-status")))["progress"], 0);
  // Reset discards progress.
  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"key", keys[0]}})).ok());
  Json reset = Body(core_->Handle(Req(Operation::kUpdate, "sys/unseal", {{"reset", true}})));
  EXPECT_EQ(reset["progress"], 0);
  UnsealWith(keys, 3);
}

TEST_F(CoreTest, HealthOverridesAndHead) {
  auto h = core_->Handle(Req(Operation::kRead, "sys/health", {{"uninitcode", "299"}}));
  EXPECT_EQ(h->status, 299);
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/health", {{"sealedcode", "abc"}}))
                .status()
                .code(),
            Code::kInvalidArgument);
  auto [keys, root] = Init();
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "sys/health", {{"sealedcode", "200"}}))->status,
            200);
  UnsealWith(keys, 3);
  auto head = core_->Handle(Req(Operation::kHead, "sys/health", {{"activecode", "204"}}));
  EXPECT_EQ(head->status, 204);
  EXPECT_TRUE(head->head_only);
}

TEST_F(CoreTest, GenerateRootOtpFlow) {
  auto [keys, root] = Init();
  UnsealWith(keys, 3);
  Json started = Body(core_->Handle(Req(Operation::kUpdate, "sys/generate-root/attempt")));
  std::string otp = started["otp"];
  std::string nonce = started["nonce"];
  EXPECT_EQ(otp.size(), 28u);
  EXPECT_EQ(started["required"], 3);
  // A second start while one is running is refused.
  EXPECT_FALSE(core_->Handle(Req(Operation::kUpdate, "sys/generate-root/attempt")).ok());
  EXPECT_EQ(core_->Handle(Req(Operation::kUpdate, "sys/generate-root/update",
                              {{"key", keys[0]}, {"nonce", "wrong"}}))
                .status()
                .code(),
            Code::kInvalidArgument);
  Json last;
  for (int i = 0; i < 3; ++i) {
    last = Body(core_->Handle(
        Req(Operation::kUpdate, "sys/generate-root/update", {{"key", keys[i]}, {"nonce", nonce}})));
  }
  ASSERT_EQ(last["complete"], true);
  auto raw = crypto::Base64Decode(last["encoded_token"].get<std::string>());
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), otp.size());
  std::string token(raw->size(), '\0');
  for (size_t i = 0; i < token.size(); ++i) token[i] = static_cast<char>((*raw)[i] ^ otp[i]);
  EXPECT_EQ(token.rfind("hvs.", 0), 0u);
  EXPECT_NE(token, root);
  EXPECT_TRUE(core_->Handle(Req(Operation::kRead, "sys/key-status", {}, token)).ok());
  // Nothing in progress afterwards.
  EXPECT_EQ(Body(core_->Handle(Req(Operation::kRead, "sys/generate-root/attempt")))["started"],
            false);
}

TEST_F(CoreTest, GenerateRootRejectsForeignShares) {
  auto [keys, root] = Init();
  UnsealWith(keys, 3);
  CoreOptions o;
  o.physical = storage::NewInmemBackend();
  Core other(std::move(o));
  auto other_init = other.Initialize(5, 3);
  ASSERT_TRUE(other_init.ok());
  Json started = Body(core_->Handle(Req(Operation::kUpdate, "sys/generate-root/attempt")));
  Result<Response> r = Response();
  for (int i = 0; i < 3; ++i) {
    r = core_->Handle(Req(Operation::kUpdate, "sys/generate-root/update",
                          {{"key", crypto::Base64Encode(other_init->keys[i])},
                           {"nonce", started["nonce"]}}));
  }
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  // Cancel works and a new attempt can start.
  ASSERT_TRUE(core_->Handle(Req(Operation::kDelete, "sys/generate-root/attempt")).ok());
  EXPECT_TRUE(core_->Handle(Req(Operation::kUpdate, "sys/generate-root/attempt")).ok());
}

TEST_F(CoreTest, DisablingAnAuthMethodRevokesItsTokens) {
  auto [keys, root] = Init();
  UnsealWith(keys, 3);
  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "sys/auth/people", {{"type", "userpass"}}, root))
                  .ok());
  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "auth/people/users/bob",
                                {{"password", "pw"}}, root))
                  .ok());
  auto login = core_->Handle(Req(Operation::kUpdate, "auth/people/login/bob", {{"password", "pw"}}));
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  ASSERT_TRUE(login->auth.has_value());
  std::string bob = login->auth->client_token;
  ASSERT_TRUE(core_->Handle(Req(Operation::kRead, "auth/token/lookup-self", {}, bob)).ok());
  // A token from another method survives.
  auto other = core_->Handle(Req(Operation::kUpdate, "auth/token/create", {}, root));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(core_->Handle(Req(Operation::kDelete, "sys/auth/people", {}, root)).ok());
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "auth/token/lookup-self", {}, bob)).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(
      core_->Handle(Req(Operation::kRead, "auth/token/lookup-self", {}, other->auth->client_token))
          .ok());
}

}  // namespace
}  // namespace coffer::core
