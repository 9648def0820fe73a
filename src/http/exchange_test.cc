#include "http/exchange.h"

#include <gtest/gtest.h>

namespace coffer::http {
namespace {

RawRequest Raw(std::string method, std::string target, std::string body = "") {
  RawRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

TEST(ExchangeTest, TranslationErrorsNeverReachTheHandler) {
  int calls = 0;
  Handler h = [&](Request) {
    ++calls;
    return Response::Empty();
  };
  EXPECT_EQ(Exchange(Raw("GET", "/nope"), h).status, 404);
  EXPECT_EQ(Exchange(Raw("TRACE", "/v1/x"), h).status, 405);
  EXPECT_EQ(Exchange(Raw("POST", "/v1/x", "nope"), h).status, 400);
  HttpResponse head = Exchange(Raw("HEAD", "/v1/%zz"), h);
  EXPECT_EQ(head.status, 400);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(Exchange(Raw("POST", "/v1/x", "{}"), h).status, 204);
  EXPECT_EQ(calls, 1);
}

TEST(ExchangeTest, HandlerSeesDataAndResponseIsRendered) {
  Handler h = [](Request req) {
    return Response::Data(Json{{"got", req.data}, {"path", req.path}});
  };
  HttpResponse r = Exchange(Raw("PUT", "/v1/secret//x", R"({"a":1,"b":null})"), h);
  EXPECT_EQ(r.status, 200);
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["data"], (Json{{"got", {{"a", 1}}}, {"path", "secret/x"}}));
  EXPECT_EQ(body["request_id"].get<std::string>().size(), 36u);
}

TEST(ExchangeTest, ThrowingHandlerIs500) {
  Handler h = [](Request) -> Response { throw std::logic_error("bug"); };
  HttpResponse r = Exchange(Raw("GET", "/v1/x"), h);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"errors":["internal error"]})");
}

}  // namespace
}  // namespace coffer::http
