#include "http/wire.h"

#include <gtest/gtest.h>

namespace coffer::http {
namespace {

HttpResponse Make(int status, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(WireTest, StatusLineHeadersLengthAndBody) {
  const std::string wire =
      WireResponse(Make(200, R"({"a":1})", {{"Content-Type", "application/json"}}), 11, true);
  EXPECT_EQ(wire,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
            R"({"a":1})");
}

TEST(WireTest, ConnectionHeaderFollowsVersionAndKeepAlive) {
  EXPECT_EQ(WireResponse(Make(404, ""), 11, false),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(WireResponse(Make(200, "x"), 10, true),
            "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx");
  EXPECT_EQ(WireResponse(Make(200, "x"), 10, false), "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx");
}

TEST(WireTest, NoContentLengthOn204And304) {
  EXPECT_EQ(WireResponse(Make(204, ""), 11, true), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(WireResponse(Make(304, ""), 11, true), "HTTP/1.1 304 Not Modified\r\n\r\n");
}

TEST(WireTest, UnknownStatusGetsGoStyleReason) {
  EXPECT_EQ(WireResponse(Make(472, ""), 11, true),
            "HTTP/1.1 472 status code 472\r\nContent-Length: 0\r\n\r\n");
}

TEST(WireTest, UnsafeAndFramingHeadersAreDropped) {
  const std::string wire = WireResponse(Make(200, "ok",
                                             {{"X-Good", "1"},
                                              {"X-Bad", "a\r\nInjected: yes"},
                                              {"Bad Name", "v"},
                                              {"", "v"},
                                              {"x:y", "v"},
                                              {"content-length", "999"},
                                              {"Transfer-Encoding", "chunked"},
                                              {"CONNECTION", "upgrade"}}),
                                        11, true);
  EXPECT_EQ(wire, "HTTP/1.1 200 OK\r\nX-Good: 1\r\nContent-Length: 2\r\n\r\nok");
}

TEST(WireTest, IsSafeHeader) {
  EXPECT_TRUE(IsSafeHeader("X-Vault-Index", "abc"));
  EXPECT_FALSE(IsSafeHeader("X", std::string("a\0b", 3)));
  EXPECT_FALSE(IsSafeHeader("X\x7f", "v"));
  EXPECT_FALSE(IsSafeHeader("X", "v\n"));
}

}  // namespace
}  // namespace coffer::http
