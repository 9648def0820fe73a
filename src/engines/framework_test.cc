#include "engines/framework.h"

#include <gtest/gtest.h>

namespace coffer::framework {
namespace {

TEST(FrameworkMatch, LiteralsParamsAndRest) {
  Params p;
  EXPECT_TRUE(Match("config", "config", &p));
  EXPECT_FALSE(Match("config", "config/x", &p));
  EXPECT_FALSE(Match("config", "conf", &p));
  EXPECT_TRUE(Match("roles/:name", "roles/web", &p));
  EXPECT_EQ(p["name"], "web");
  EXPECT_FALSE(Match("roles/:name", "roles/", &p));
  EXPECT_FALSE(Match("roles/:name", "roles/a/b", &p));
  EXPECT_TRUE(Match("role/:role/secret-id", "role/app/secret-id", &p));
  EXPECT_EQ(p["role"], "app");
  EXPECT_TRUE(Match("data/*path", "data/a/b/c", &p));
  EXPECT_EQ(p["path"], "a/b/c");
  EXPECT_TRUE(Match("metadata/*path", "metadata/", &p));
  EXPECT_EQ(p["path"], "");
  EXPECT_FALSE(Match("data/*path", "metadata/a", &p));
  EXPECT_TRUE(Match("users/", "users/", &p));
  EXPECT_FALSE(Match("users/", "users", &p));
  EXPECT_TRUE(Match("login/:username", "login/bob", &p));
  EXPECT_EQ(p["username"], "bob");
}

TEST(FrameworkEngine, DispatchesByOperationAndReportsUnsupported) {
  int reads = 0;
  PathEngine engine({
      Path{.pattern = "things/:name",
           .operations = {{Operation::kRead,
                           [&](const EngineRequest&, const Params& p) -> Result<Response> {
                             ++reads;
                             return Response::Data(Json{{"name", p.at("name")}});
                           }},
                          {Operation::kUpdate,
                           [](const EngineRequest&, const Params&) -> Result<Response> {
                             return Response::Empty();
                           }}},
           .exists = [](const EngineRequest&, const Params& p) -> Result<bool> {
             return p.at("name") == "present";
           }},
      Path{.pattern = "login/:user", .operations = {}, .unauthenticated = true},
  });
  EngineRequest req;
  req.path = "things/x";
  auto r = engine.Handle(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["name"], "x");
  EXPECT_EQ(reads, 1);
  req.operation = Operation::kCreate;  // falls back to the update handler
  EXPECT_TRUE(engine.Handle(req).ok());
  req.operation = Operation::kDelete;
  EXPECT_EQ(engine.Handle(req).status().code(), Code::kUnsupportedOperation);
  req.path = "nothing";
  EXPECT_EQ(engine.Handle(req).status().code(), Code::kNotFound);

  req.path = "things/present";
  auto e = engine.Exists(req);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->has_value());
  EXPECT_TRUE(**e);
  req.path = "login/bob";
  EXPECT_FALSE(engine.Exists(req)->has_value());
  EXPECT_EQ(engine.UnauthenticatedPaths(), std::vector<std::string>{"login/*"});

  // ?help=1 answers with the path's help text whatever the operation.
  Request original;
  original.is_help = true;
  req.original = &original;
  req.path = "things/x";
  req.operation = Operation::kDelete;
  auto help = engine.Handle(req);
  ASSERT_TRUE(help.ok());
  ASSERT_EQ(help->kind, Response::Kind::kRaw);
  Json body = Json::parse(help->raw_body);
  EXPECT_NE(body["help"].get<std::string>().find("things/:name"), std::string::npos);
  EXPECT_EQ(reads, 1);
}

}  // namespace
}  // namespace coffer::framework
