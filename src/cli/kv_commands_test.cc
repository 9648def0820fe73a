// The kv command family against the fake transport: preflight routing,
// request paths and bodies, output layout, exit codes.
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

Json Mount(const std::string& path, const std::string& version) {
  Json data = {{"path", path}, {"type", "kv"}};
  data["options"] = version.empty() ? Json() : Json{{"version", version}};
  return Json{{"data", data}};
}

void V2(FakeServer& s, const std::string& user_path) {
  s.Reply("GET /v1/sys/internal/ui/mounts/" + user_path, 200, Mount("secret/", "2"));
}
void V1(FakeServer& s, const std::string& user_path) {
  s.Reply("GET /v1/sys/internal/ui/mounts/" + user_path, 200, Mount("kv1/", "1"));
}

Json VersionMeta(int version, const std::string& deletion_time = "", bool destroyed = false) {
  return Json{{"created_time", "2024-01-01T00:00:00Z"},
              {"custom_metadata", nullptr},
              {"deletion_time", deletion_time},
              {"destroyed", destroyed},
              {"version", version}};
}

Json Read(Json data, Json metadata) {
  return Json{{"data", {{"data", std::move(data)}, {"metadata", std::move(metadata)}}},
              {"lease_duration", 0},
              {"lease_id", ""}};
}

TEST(KvGetTest, V2PrintsSectionsLikeVault) {
  FakeServer s;
  V2(s, "secret/creds");
  s.Reply("GET /v1/secret/data/creds", 200,
          Read({{"passcode", "my-long-passcode"}}, VersionMeta(1)));
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "get", "secret/creds"}), 0) << s.err();
  EXPECT_EQ(s.out(),
            "== Secret Path ==\n"
            "secret/data/creds\n"
            "\n"
            "======= Metadata =======\n"
            "Key                Value\n"
            "---                -----\n"
            "created_time       2024-01-01T00:00:00Z\n"
            "custom_metadata    <nil>\n"
            "deletion_time      n/a\n"
            "destroyed          false\n"
            "version            1\n"
            "\n"
            "====== Data ======\n"
            "Key         Value\n"
            "---         -----\n"
            "passcode    my-long-passcode\n");
  ASSERT_EQ(s.requests().size(), 2u);
  EXPECT_EQ(s.requests()[0].target, "/v1/sys/internal/ui/mounts/secret/creds");
}

TEST(KvGetTest, MountFlagVersionAndField) {
  FakeServer s;
  V2(s, "secret");
  s.Reply("GET /v1/secret/data/app?version=3", 200, Read({{"user", "bob"}}, VersionMeta(3)));
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "get", "-mount=secret", "-version=3", "-field=user", "app"}),
            0)
      << s.err();
  EXPECT_EQ(s.out(), "bob");

  FakeServer missing;
  V2(missing, "secret/app");
  missing.Reply("GET /v1/secret/data/app", 200, Read({{"user", "bob"}}, VersionMeta(1)));
  EXPECT_EQ(Dispatch(missing.ctx(), {"kv", "get", "-field=nope", "secret/app"}), 1);
  EXPECT_EQ(missing.err(), "Field \"nope\" not present in secret\n");
}

TEST(KvGetTest, DeletedVersionShowsMetadataWithoutData) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("GET /v1/secret/data/app", 404, Read(nullptr, VersionMeta(2, "2024-02-02T00:00:00Z")));
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "get", "secret/app"}), 0) << s.err();
  EXPECT_NE(s.out().find("deletion_time      2024-02-02T00:00:00Z\n"), std::string::npos);
  EXPECT_EQ(s.out().find("Data =="), std::string::npos) << s.out();
}

TEST(KvGetTest, MissingKeyIsExitTwo) {
  FakeServer s;
  V2(s, "secret/none");
  s.Reply("GET /v1/secret/data/none", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "get", "secret/none"}), 2);
  EXPECT_EQ(s.err(), "No value found at secret/data/none\n");
}

TEST(KvGetTest, V1ReadsThePathAndShowsOnlyData) {
  FakeServer s;
  V1(s, "kv1/app");
  s.Reply("GET /v1/kv1/app", 200,
          Json{{"data", {{"a", "1"}}}, {"lease_duration", 2764800}, {"lease_id", ""}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "get", "kv1/app"}), 0) << s.err();
  EXPECT_EQ(s.out(),
            "== Data ==\n"
            "Key    Value\n"
            "---    -----\n"
            "a      1\n");
}

TEST(KvGetTest, PreflightErrorIsPrintedAsIsAndOld404MeansV1) {
  FakeServer s;
  s.Reply("GET /v1/sys/internal/ui/mounts/secret/x", 403,
          Json{{"errors", {"preflight capability check returned 403"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "get", "secret/x"}), 2);
  EXPECT_EQ(s.err().rfind("Error making API request.", 0), 0u) << s.err();
  EXPECT_EQ(s.requests().size(), 1u);

  FakeServer old;  // no preflight endpoint: KV v1 at the path as given
  old.Reply("GET /v1/kv1/app", 200, Json{{"data", {{"a", "1"}}}});
  EXPECT_EQ(Dispatch(old.ctx(), {"kv", "get", "kv1/app"}), 0) << old.err();
  EXPECT_EQ(old.requests().back().target, "/v1/kv1/app");
}

TEST(KvPutTest, V2WrapsDataAndShowsVersionMetadata) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PUT /v1/secret/data/app", 200, Json{{"data", VersionMeta(4)}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "put", "-cas=3", "secret/app", "user=bob", "pw=x"}), 0)
      << s.err();
  EXPECT_EQ(s.requests().back().json(),
            (Json{{"data", {{"user", "bob"}, {"pw", "x"}}}, {"options", {{"cas", 3}}}}));
  EXPECT_EQ(s.out().rfind("= Secret Path =\nsecret/data/app\n\n======= Metadata =======\n", 0), 0u)
      << s.out();
  EXPECT_NE(s.out().find("version            4\n"), std::string::npos);
}

TEST(KvPutTest, NoCasMeansEmptyOptions) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PUT /v1/secret/data/app", 200, Json{{"data", VersionMeta(1)}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "put", "secret/app", "a=b"}), 0);
  EXPECT_EQ(s.requests().back().json(),
            (Json{{"data", {{"a", "b"}}}, {"options", Json::object()}}));
}

TEST(KvPutTest, V1WritesFlatDataAndPrintsSuccess) {
  FakeServer s;
  V1(s, "kv1/app");
  s.Reply("PUT /v1/kv1/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "put", "kv1/app", "a=b"}), 0);
  EXPECT_EQ(s.out(), "Success! Data written to: kv1/app\n");
  EXPECT_EQ(s.requests().back().json(), (Json{{"a", "b"}}));
}

TEST(KvPutTest, MissingDataIsLocalError) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "put", "secret/app"}), 1);
  EXPECT_EQ(s.err(), "Must supply data\n");
  EXPECT_TRUE(s.requests().empty());
}

TEST(KvPutTest, CasMismatchIsRemoteError) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PUT /v1/secret/data/app", 400,
          Json{{"errors", {"check-and-set parameter did not match the current version"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "put", "-cas=0", "secret/app", "a=b"}), 2);
  EXPECT_NE(s.err().find("Error writing data to secret/data/app: "), std::string::npos);
  EXPECT_NE(s.err().find("* check-and-set parameter did not match"), std::string::npos);
}

TEST(KvPatchTest, UsesMergePatch) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PATCH /v1/secret/data/app", 200, Json{{"data", VersionMeta(2)}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "patch", "secret/app", "pw=new"}), 0) << s.err();
  const auto& req = s.requests().back();
  EXPECT_EQ(req.headers.at("Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(req.json(), (Json{{"data", {{"pw", "new"}}}, {"options", Json::object()}}));
  EXPECT_NE(s.out().find("version            2\n"), std::string::npos);
}

TEST(KvPatchTest, FallsBackToReadWriteOn405) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PATCH /v1/secret/data/app", 405, Json{{"errors", Json::array()}});
  s.Reply("GET /v1/secret/data/app", 200, Read({{"user", "bob"}, {"pw", "old"}}, VersionMeta(5)));
  s.Reply("PUT /v1/secret/data/app", 200, Json{{"data", VersionMeta(6)}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "patch", "secret/app", "pw=new"}), 0) << s.err();
  EXPECT_EQ(s.requests().back().json(),
            (Json{{"data", {{"user", "bob"}, {"pw", "new"}}}, {"options", {{"cas", 5}}}}));
}

TEST(KvPatchTest, ExplicitPatchMethodDoesNotFallBack) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PATCH /v1/secret/data/app", 403, Json{{"errors", {"permission denied"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "patch", "-method=patch", "secret/app", "a=b"}), 2);
  EXPECT_EQ(s.requests().size(), 2u);

  FakeServer rw;
  V2(rw, "secret/app");
  rw.Reply("GET /v1/secret/data/app", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(rw.ctx(), {"kv", "patch", "-method=rw", "secret/app", "a=b"}), 2);
  EXPECT_EQ(rw.err(), "No value found at secret/data/app\n");
}

TEST(KvPatchTest, V1IsRejected) {
  FakeServer s;
  V1(s, "kv1/app");
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "patch", "kv1/app", "a=b"}), 2);
  EXPECT_EQ(s.err(), "K/V engine mount must be version 2 for patch support\n");
}

TEST(KvListTest, V2ListsMetadataPath) {
  FakeServer s;
  V2(s, "secret");
  s.Reply("GET /v1/secret/metadata?list=true", 200, Json{{"data", {{"keys", {"app", "dir/"}}}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "list", "secret"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Keys\n----\napp\ndir/\n");

  FakeServer empty;
  V2(empty, "secret/none");
  empty.Reply("GET /v1/secret/metadata/none?list=true", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(empty.ctx(), {"kv", "list", "secret/none"}), 2);
  EXPECT_EQ(empty.err(), "No value found at secret/metadata/none\n");
}

TEST(KvDeleteTest, V2CurrentVersionOrGivenVersions) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("DELETE /v1/secret/data/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "delete", "secret/app"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Data deleted (if it existed) at: secret/data/app\n");

  FakeServer v;
  V2(v, "secret/app");
  v.Reply("PUT /v1/secret/delete/app", 204, nullptr);
  EXPECT_EQ(Dispatch(v.ctx(), {"kv", "delete", "-versions=1,2", "-versions=4", "secret/app"}), 0);
  EXPECT_EQ(v.requests().back().json(), (Json{{"versions", {"1", "2", "4"}}}));
}

TEST(KvDeleteTest, V1DeletesThePath) {
  FakeServer s;
  V1(s, "kv1/app");
  s.Reply("DELETE /v1/kv1/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "delete", "kv1/app"}), 0);
  EXPECT_EQ(s.out(), "Success! Data deleted (if it existed) at: kv1/app\n");
}

TEST(KvUndeleteDestroyTest, VersionsRequiredAndV2Only) {
  FakeServer none;
  EXPECT_EQ(Dispatch(none.ctx(), {"kv", "undelete", "secret/app"}), 1);
  EXPECT_EQ(none.err(),
            "No versions provided, use the \"-versions\" flag to specify the version to "
            "undelete.\n");
  EXPECT_TRUE(none.requests().empty());

  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PUT /v1/secret/undelete/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "undelete", "-versions=2", "secret/app"}), 0);
  EXPECT_EQ(s.out(), "Success! Data written to: secret/undelete/app\n");
  EXPECT_EQ(s.requests().back().json(), (Json{{"versions", {"2"}}}));

  FakeServer d;
  V2(d, "secret/app");
  d.Reply("PUT /v1/secret/destroy/app", 204, nullptr);
  EXPECT_EQ(Dispatch(d.ctx(), {"kv", "destroy", "-versions=1", "secret/app"}), 0);
  EXPECT_EQ(d.out(), "Success! Data written to: secret/destroy/app\n");

  FakeServer v1;
  V1(v1, "kv1/app");
  EXPECT_EQ(Dispatch(v1.ctx(), {"kv", "destroy", "-versions=1", "kv1/app"}), 1);
  EXPECT_EQ(v1.err(), "Destroy not supported on KV Version 1\n");
}

TEST(KvRollbackTest, WritesOldDataWithCurrentCas) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("GET /v1/secret/data/app", 200, Read({{"v", "3"}}, VersionMeta(3)));
  s.Reply("GET /v1/secret/data/app?version=1", 200, Read({{"v", "1"}}, VersionMeta(1)));
  s.Reply("PUT /v1/secret/data/app", 200, Json{{"data", VersionMeta(4)}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "rollback", "-version=1", "secret/app"}), 0) << s.err();
  EXPECT_EQ(s.requests().back().json(), (Json{{"data", {{"v", "1"}}}, {"options", {{"cas", 3}}}}));
}

TEST(KvRollbackTest, RefusesDeletedVersionsAndNeedsVersion) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("GET /v1/secret/data/app", 200, Read({{"v", "3"}}, VersionMeta(3)));
  s.Reply("GET /v1/secret/data/app?version=2", 404,
          Read(nullptr, VersionMeta(2, "2024-02-02T00:00:00Z")));
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "rollback", "-version=2", "secret/app"}), 2);
  EXPECT_EQ(s.err(), "Cannot roll back to a version that has been deleted\n");

  FakeServer n;
  EXPECT_EQ(Dispatch(n.ctx(), {"kv", "rollback", "secret/app"}), 1);
  EXPECT_EQ(n.err(), "Version flag must be specified\n");
}

TEST(KvEnableVersioningTest, TunesOptionsVersion2) {
  FakeServer s;
  s.Reply("POST /v1/sys/mounts/kv1/tune", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "enable-versioning", "kv1/"}), 0);
  EXPECT_EQ(s.out(), "Success! Tuned the secrets engine at: kv1/\n");
  EXPECT_EQ(s.only_request().json(), (Json{{"options", {{"version", "2"}}}}));
}

TEST(KvMetadataTest, GetShowsMetadataThenVersionsInOrder) {
  FakeServer s;
  V2(s, "secret/app");
  Json versions = Json::object();
  for (int v : {1, 2, 10}) versions[std::to_string(v)] = VersionMeta(v);
  s.Reply("GET /v1/secret/metadata/app", 200,
          Json{{"data",
                {{"cas_required", false},
                 {"current_version", 10},
                 {"max_versions", 0},
                 {"versions", versions}}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "metadata", "get", "secret/app"}), 0) << s.err();
  std::string out = s.out();
  EXPECT_EQ(out.rfind("== Metadata Path ==\nsecret/metadata/app\n\n", 0), 0u) << out;
  EXPECT_NE(out.find("current_version    10\n"), std::string::npos);
  size_t v1 = out.find("Version 1 ");
  size_t v2 = out.find("Version 2 ");
  size_t v10 = out.find("Version 10 ");
  ASSERT_NE(v10, std::string::npos);
  EXPECT_LT(v1, v2);
  EXPECT_LT(v2, v10);
}

TEST(KvMetadataTest, PutSendsOnlyGivenSettings) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PUT /v1/secret/metadata/app", 204, nullptr);
  EXPECT_EQ(
      Dispatch(s.ctx(), {"kv", "metadata", "put", "-max-versions=5", "-delete-version-after=1h",
                         "-custom-metadata=owner=ops", "secret/app"}),
      0)
      << s.err();
  EXPECT_EQ(s.out(), "Success! Data written to: secret/metadata/app\n");
  EXPECT_EQ(s.requests().back().json(), (Json{{"max_versions", 5},
                                              {"delete_version_after", "1h0m0s"},
                                              {"custom_metadata", {{"owner", "ops"}}}}));
}

TEST(KvMetadataTest, PatchRemovesCustomKeysAndDeleteDeletes) {
  FakeServer s;
  V2(s, "secret/app");
  s.Reply("PATCH /v1/secret/metadata/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "metadata", "patch", "-cas-required=true",
                               "-remove-custom-metadata=old", "secret/app"}),
            0)
      << s.err();
  EXPECT_EQ(s.requests().back().json(),
            (Json{{"cas_required", true}, {"custom_metadata", {{"old", nullptr}}}}));
  EXPECT_EQ(s.requests().back().headers.at("Content-Type"), "application/merge-patch+json");

  FakeServer d;
  V2(d, "secret/app");
  d.Reply("DELETE /v1/secret/metadata/app", 204, nullptr);
  EXPECT_EQ(Dispatch(d.ctx(), {"kv", "metadata", "delete", "secret/app"}), 0);
  EXPECT_EQ(d.out(), "Success! Data deleted (if it existed) at: secret/metadata/app\n");
}

TEST(KvMetadataTest, V1HasNoMetadata) {
  FakeServer s;
  V1(s, "kv1/app");
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "metadata", "get", "kv1/app"}), 1);
  EXPECT_EQ(s.err(), "Metadata not supported on KV Version 1\n");
}

TEST(KvDispatchTest, GroupsListTheirSubcommands) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"kv", "metadata"}), 1);
  EXPECT_NE(s.err().find("kv metadata put"), std::string::npos);
  EXPECT_EQ(s.err().find("kv get"), std::string::npos);

  FakeServer u;
  EXPECT_EQ(Dispatch(u.ctx(), {"kv", "metadata", "frob"}), 127);
  EXPECT_NE(u.err().find("Unknown command: kv metadata frob"), std::string::npos);
}

}  // namespace
}  // namespace coffer::cli
