#include "core/policy_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "storage/inmem_backend.h"

namespace coffer::core {
namespace {

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Setup().ok()); }

  bool Can(const std::vector<std::string>& names, Operation op, const std::string& path) {
    auto acl = store_.AclFor(names);
    EXPECT_TRUE(acl.ok()) << acl.status().ToString();
    return acl.ok() && (*acl)->Check(op, path, Json::object()).allowed;
  }

  storage::BackendPtr backend_ = storage::NewInmemBackend();
  PolicyStore store_{backend_.get()};
};

TEST_F(PolicyStoreTest, SetupCreatesDefaultOnceAndKeepsEdits) {
  auto def = store_.Get("default");
  ASSERT_TRUE(def.ok());
  ASSERT_TRUE(def->has_value());
  EXPECT_EQ((*def)->raw, PolicyStore::DefaultPolicyText());
  EXPECT_TRUE(Can({"default"}, Operation::kRead, "auth/token/lookup-self"));
  EXPECT_TRUE(Can({"default"}, Operation::kUpdate, "sys/capabilities-self"));
  EXPECT_TRUE(Can({"default"}, Operation::kList, "cubbyhole/"));
  EXPECT_TRUE(Can({"default"}, Operation::kUpdate, "sys/tools/hash/sha2-512"));
  EXPECT_FALSE(Can({"default"}, Operation::kRead, "secret/x"));

  // An operator's edit survives the next unseal.
  ASSERT_TRUE(store_.Put("default", R"(path "x" { capabilities = ["read"] })").ok());
  store_.Reset();
  ASSERT_TRUE(store_.Setup().ok());
  EXPECT_EQ((*store_.Get("default"))->raw, R"(path "x" { capabilities = ["read"] })");

  // Stored as {"name", "policy"} under sys/policy/<name>.
  auto raw = backend_->Get("sys/policy/default");
  ASSERT_TRUE(raw.ok() && raw->has_value());
  Json j = Json::parse(**raw);
  EXPECT_EQ(j["name"], "default");
  EXPECT_EQ(j["policy"], R"(path "x" { capabilities = ["read"] })");
}

TEST_F(PolicyStoreTest, CrudAndNames) {
  ASSERT_TRUE(store_.Put("Dev-Team", R"(path "secret/*" { capabilities = ["read"] })").ok());
  auto got = store_.Get("dev-team");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, "dev-team");
  ASSERT_EQ((*got)->paths.size(), 1u);
  EXPECT_TRUE(store_.Get("DEV-TEAM")->has_value());  // lookups normalise too

  auto list = store_.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"default", "dev-team", "root"}));

  ASSERT_TRUE(store_.Delete("dev-team").ok());
  EXPECT_FALSE(store_.Get("dev-team")->has_value());
  EXPECT_TRUE(store_.Delete("dev-team").ok());  // idempotent
  EXPECT_FALSE(store_.Get("never").value().has_value());
}

TEST_F(PolicyStoreTest, BadPolicyIsRefusedAndNothingStored) {
  Status st = store_.Put("bad", "path \"x\" {\n  capabilities = [\"fly\"]\n}\n");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("invalid capability \"fly\""), std::string::npos);
  EXPECT_FALSE(store_.Get("bad")->has_value());
  Status syntax = store_.Put("bad", "path \"x\" {\n");
  EXPECT_EQ(syntax.code(), Code::kInvalidArgument);
  EXPECT_EQ(syntax.message().rfind("failed to parse policy: bad:", 0), 0u) << syntax.message();
  EXPECT_EQ(store_.Put("a/b", "").code(), Code::kInvalidArgument);
  EXPECT_EQ(store_.Put("  ", "").code(), Code::kInvalidArgument);
}

TEST_F(PolicyStoreTest, BuiltInsAreProtected) {
  Status root_put = store_.Put("root", R"(path "x" { capabilities = ["read"] })");
  EXPECT_EQ(root_put.code(), Code::kInvalidArgument);
  EXPECT_EQ(root_put.message(), "cannot update \"root\" policy");
  EXPECT_EQ(store_.Put("ROOT", "").message(), "cannot update \"root\" policy");
  EXPECT_EQ(store_.Delete("root").message(), "cannot delete root policy");
  EXPECT_EQ(store_.Delete("default").message(), "cannot delete default policy");
  EXPECT_EQ(store_.Put("response-wrapping", "").code(), Code::kInvalidArgument);
  EXPECT_EQ(store_.Delete("response-wrapping").code(), Code::kInvalidArgument);
  EXPECT_TRUE(store_.Get("default")->has_value());

  // root reads as an empty policy; response-wrapping exists but is unlisted.
  auto root = store_.Get("root");
  ASSERT_TRUE(root.ok() && root->has_value());
  EXPECT_EQ((*root)->raw, "");
  EXPECT_TRUE(store_.Get("response-wrapping")->has_value());
  auto list = store_.List();
  EXPECT_EQ(std::count(list->begin(), list->end(), "response-wrapping"), 0);
  EXPECT_TRUE(Can({"response-wrapping"}, Operation::kUpdate, "sys/wrapping/unwrap"));
  EXPECT_TRUE(Can({"response-wrapping"}, Operation::kRead, "cubbyhole/response"));
  EXPECT_FALSE(Can({"response-wrapping"}, Operation::kRead, "cubbyhole/other"));
}

TEST_F(PolicyStoreTest, AclForRootAndUnknownNames) {
  auto root = store_.AclFor({"default", "root"});
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE((*root)->IsRoot());
  // Unknown names are ignored; the known ones still apply.
  EXPECT_TRUE(Can({"no-such-policy", "default"}, Operation::kRead, "auth/token/lookup-self"));
  EXPECT_FALSE(Can({"no-such-policy"}, Operation::kRead, "auth/token/lookup-self"));
  EXPECT_FALSE(Can({}, Operation::kRead, "auth/token/lookup-self"));
}

TEST_F(PolicyStoreTest, CacheIsSharedAndInvalidatedByChanges) {
  ASSERT_TRUE(store_.Put("app", R"(path "secret/app" { capabilities = ["read"] })").ok());
  auto first = store_.AclFor({"default", "app"});
  auto again = store_.AclFor({"app", "default", "APP"});  // same set
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_TRUE((*first)->Check(Operation::kRead, "secret/app", Json::object()).allowed);

  // A Put changes the very next AclFor; the old snapshot is untouched.
  ASSERT_TRUE(store_.Put("app", R"(path "secret/app" { capabilities = ["update"] })").ok());
  auto after_put = store_.AclFor({"default", "app"});
  ASSERT_TRUE(after_put.ok());
  EXPECT_NE(first->get(), after_put->get());
  EXPECT_FALSE((*after_put)->Check(Operation::kRead, "secret/app", Json::object()).allowed);
  EXPECT_TRUE((*after_put)->Check(Operation::kUpdate, "secret/app", Json::object()).allowed);
  EXPECT_TRUE((*first)->Check(Operation::kRead, "secret/app", Json::object()).allowed);

  // So does a Delete.
  ASSERT_TRUE(store_.Delete("app").ok());
  EXPECT_FALSE(Can({"default", "app"}, Operation::kUpdate, "secret/app"));
}

TEST_F(PolicyStoreTest, CorruptEntryIsAnError) {
  ASSERT_TRUE(backend_->Put("sys/policy/broken", "not json").ok());
  EXPECT_EQ(store_.Get("broken").status().code(), Code::kCorruption);
  EXPECT_EQ(store_.AclFor({"broken"}).status().code(), Code::kCorruption);
  ASSERT_TRUE(backend_->Put("sys/policy/badtext", R"({"name":"badtext","policy":"path {"})").ok());
  EXPECT_EQ(store_.Get("badtext").status().code(), Code::kCorruption);
}

TEST_F(PolicyStoreTest, ConcurrentReadersAndWriters) {
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t == 0) {
          std::string caps = i % 2 ? R"(["read"])" : R"(["update"])";
          if (!store_.Put("app", "path \"a\" { capabilities = " + caps + " }").ok()) failed = true;
        } else {
          auto acl = store_.AclFor({"app", "default"});
          if (!acl.ok()) failed = true;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed);
  // After the last write (i = 49: read), the next Acl reflects it.
  EXPECT_TRUE(Can({"app"}, Operation::kRead, "a"));
  EXPECT_FALSE(Can({"app"}, Operation::kUpdate, "a"));
}

}  // namespace
}  // namespace coffer::core
