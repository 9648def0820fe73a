// Socket-level tests: a real Server on 127.0.0.1:0, driven by the Client and
// by raw sockets for what a well-behaved client never sends.
#include "http/server.h"

#include "common/fiber.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/fiber.h"
#include "http/client.h"
#include "http/test_cert.h"

namespace coffer::http {
namespace {

using std::chrono::milliseconds;

// Echoes the logical request back as data.
Response Echo(Request req) {
  return Response::Data(Json{{"path", req.path},
                             {"op", OperationName(req.operation)},
                             {"data", req.data},
                             {"remote", req.remote_addr},
                             {"token_set", !req.client_token.empty()}});
}

ServerOptions TestOptions() {
  ServerOptions o;
  o.address = "127.0.0.1:0";
  o.io_threads = 2;
  o.worker_threads = 4;
  return o;
}

std::unique_ptr<Server> MustStart(const ServerOptions& o, Handler h) {
  auto s = Server::Start(o, std::move(h));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

Client MakeClient(const Server& s, std::string scheme = "http") {
  ClientOptions o;
  o.address = scheme + "://" + s.BoundAddress();
  o.timeout_s = 10;
  return Client(o);
}

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

// A raw TCP connection with bounded waits.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConn() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads until the peer closes or `deadline` passes; `*closed` tells which.
  std::string ReadUntilClose(milliseconds deadline, bool* closed) {
    std::string out;
    *closed = false;
    const auto end = std::chrono::steady_clock::now() + deadline;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST(ServerTest, ServesTranslatedRequestsAndKeepsConnectionAlive) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(server);
  EXPECT_NE(PortOf(server->BoundAddress()), 0);
  Client client = MakeClient(*server);

  auto r1 = client.Do("GET", "/v1/secret/foo?version=2", "", {{"X-Vault-Token", "t"}});
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->headers["content-type"], "application/json");
  EXPECT_EQ(r1->headers["cache-control"], "no-store");
  Json b1 = Json::parse(r1->body);
  EXPECT_EQ(b1["data"]["path"], "secret/foo");
  EXPECT_EQ(b1["data"]["data"], (Json{{"version", "2"}}));
  EXPECT_EQ(b1["data"]["token_set"], true);

  auto r2 = client.Do("LIST", "/v1/secret/metadata", "", {});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  Json b2 = Json::parse(r2->body);
  EXPECT_EQ(b2["data"]["path"], "secret/metadata/");
  EXPECT_EQ(b2["data"]["op"], "list");
  // Same client port both times: one connection carried both requests.
  EXPECT_EQ(b1["data"]["remote"], b2["data"]["remote"]);
}

TEST(ServerTest, StatusCodesAndBodiesOnTheWire) {
  auto server = MustStart(TestOptions(), [](Request req) {
    if (req.path == "empty") return Response::Empty();
    if (req.path == "denied") return ErrorResponse(PermissionDenied());
    return Response::Data(Json{{"ok", true}});
  });
  ASSERT_TRUE(server);
  Client client = MakeClient(*server);

  auto r = client.Do("POST", "/v1/empty", R"({"a":1})", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->headers.count("content-length"), 0u);
  EXPECT_EQ(r->headers.count("content-type"), 0u);
  EXPECT_EQ(r->headers["cache-control"], "no-store");

  r = client.Do("GET", "/v1/denied", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body, R"({"errors":["permission denied"]})");
  EXPECT_EQ(r->headers["content-type"], "application/json");

  r = client.Do("GET", "/ui/", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"errors":[]})");

  r = client.Do("OPTIONS", "/v1/x", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->body, R"({"errors":[]})");

  r = client.Do("POST", "/v1/x", "[1]", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, R"({"errors":["error parsing JSON"]})");

  r = client.Do("HEAD", "/v1/x", "", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");

  // The connection survived all of the above.
  r = client.Do("GET", "/v1/x", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(ServerTest, OversizedContentLengthIs413WithoutReadingBody) {
  ServerOptions o = TestOptions();
  o.max_request_size = 1024;
  std::atomic<int> calls{0};
  auto server = MustStart(o, [&](Request req) {
    ++calls;
    return Echo(std::move(req));
  });
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  ASSERT_TRUE(conn.connected());
  // Announces a gigabyte and sends none of it.
  conn.Send("POST /v1/secret/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n");
  bool closed = false;
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"({"errors":["http: request body too large"]})"), std::string::npos);
  EXPECT_NE(reply.find("Content-Type: application/json"), std::string::npos);
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls.load(), 0);
}

TEST(ServerTest, OversizedChunkedBodyIs413) {
  ServerOptions o = TestOptions();
  o.max_request_size = 1024;
  auto server = MustStart(o, Echo);
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  conn.Send("POST /v1/secret/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(800, 'a');
  for (int i = 0; i < 3; ++i) conn.Send("320\r\n" + chunk + "\r\n");
  conn.Send("0\r\n\r\n");
  bool closed = false;
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_TRUE(closed);

  // A body under the limit is fine.
  Client client = MakeClient(*server);
  auto r = client.Do("POST", "/v1/x", R"({"a":")" + std::string(900, 'b') + R"("})", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(ServerTest, MalformedRequestIs400AndClosed) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(server);
  for (const char* junk :
       {"NOT AN HTTP REQUEST\r\n\r\n", "GET /v1/x HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /v1/x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "\x16\x03\x01\x02"
        "\x00\x01\r\n\r\n"}) {
    RawConn conn(PortOf(server->BoundAddress()));
    conn.Send(junk);
    bool closed = false;
    std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << junk << " -> " << reply;
    EXPECT_TRUE(closed) << junk;
  }
  // Still serving.
  Client client = MakeClient(*server);
  auto r = client.Do("GET", "/v1/x", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(ServerTest, HugeHeaderIs431) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  conn.Send("GET /v1/x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(100 << 10, 'x') + "\r\n\r\n");
  bool closed = false;
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply.substr(0, 100);
  EXPECT_TRUE(closed);
}

// Sends the start of a request that never completes: the server closes the
// connection without an answer, well before the client's 5 s wait ends.
void ExpectCutOff(const ServerOptions& o, std::string_view partial_request) {
  auto server = MustStart(o, Echo);
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  conn.Send(partial_request);
  bool closed = false;
  const auto start = std::chrono::steady_clock::now();
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(reply, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
}

TEST(ServerTest, SlowHeaderIsCutOff) {
  ServerOptions o = TestOptions();
  o.read_header_timeout = milliseconds(200);
  ExpectCutOff(o, "GET /v1/x HTTP/1.1\r\nHost: a\r\n");  // never finishes the header
}

TEST(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o = TestOptions();
  o.idle_timeout = milliseconds(200);
  auto server = MustStart(o, Echo);
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  conn.Send("GET /v1/x HTTP/1.1\r\nHost: a\r\n\r\n");
  bool closed = false;
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_TRUE(closed);
}

TEST(ServerTest, SlowBodyIsCutOff) {
  ServerOptions o = TestOptions();
  o.read_timeout = milliseconds(200);
  ExpectCutOff(o, "POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n{\"a\"");
}

// The timeouts bound reading and writing, not the handler: a request that
// takes longer than all of them still gets its answer, and the connection
// stays usable.
TEST(ServerTest, AHandlerSlowerThanEveryTimeoutStillAnswers) {
  ServerOptions o = TestOptions();
  o.read_header_timeout = milliseconds(100);
  o.read_timeout = milliseconds(100);
  o.idle_timeout = milliseconds(100);
  auto server = MustStart(o, [](Request req) {
    std::this_thread::sleep_for(milliseconds(req.path == "slow" ? 600 : 0));
    return Echo(std::move(req));
  });
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  conn.Send("GET /v1/slow HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/fast HTTP/1.1\r\nHost: a\r\n\r\n");
  bool closed = false;
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_TRUE(closed);  // by the idle timeout, after both answers
  EXPECT_NE(reply.find("\"path\":\"slow\""), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"path\":\"fast\""), std::string::npos) << reply;
}

TEST(ServerTest, ExpectContinueGetsInterimResponse) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(server);
  RawConn conn(PortOf(server->BoundAddress()));
  conn.Send(
      "PUT /v1/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 7\r\n"
      "Connection: close\r\n\r\n");
  bool closed = false;
  std::string interim = conn.ReadUntilClose(milliseconds(300), &closed);
  EXPECT_EQ(interim.rfind("HTTP/1.1 100", 0), 0u) << interim;
  conn.Send(R"({"a":1})");
  std::string reply = conn.ReadUntilClose(milliseconds(5000), &closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"("data":{"a":1})"), std::string::npos) << reply;
}

// A handler whose "/v1/block" requests wait (up to 5 s) until a
// "/v1/release" request has run, recording the threads both ran on.
struct BlockUntilReleased {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::atomic<bool> block_started{false};
  std::thread::id block_thread;
  std::thread::id release_thread;

  Handler MakeHandler() {
    return [this](Request req) {
      std::unique_lock<std::mutex> lock(mu);
      if (req.path == "block") {
        block_thread = std::this_thread::get_id();
        block_started = true;
        if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return released; })) {
          return ErrorResponse(Internal("never released"));
        }
      } else {
        release_thread = std::this_thread::get_id();
        released = true;
        cv.notify_all();
      }
      return Response::Data(Json{{"path", req.path}});
    };
  }

  // Sends a block request from another thread, waits until its handler runs,
  // then the release request; both answers must be 200.
  void Run(const Server& server) {
    Result<ClientResponse> blocked = Internal("not run");
    std::thread t([&] {
      Client c = MakeClient(server);
      blocked = c.Do("GET", "/v1/block", "", {});
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!block_started && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(block_started.load());
    Client c = MakeClient(server);
    auto r = c.Do("GET", "/v1/release", "", {});
    t.join();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << r->body;
    ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
    EXPECT_EQ(blocked->status, 200) << blocked->body;
  }
};

TEST(ServerTest, HandlerRunsOffTheIoThread) {
  // One I/O thread: if the blocked handler ran on it, the second request
  // could never be read and the first would never be released.
  ServerOptions o = TestOptions();
  o.io_threads = 1;
  o.worker_threads = 4;
  BlockUntilReleased h;
  auto server = MustStart(o, h.MakeHandler());
  ASSERT_TRUE(server);
  h.Run(*server);
}

TEST(ServerTest, InlineRequestsDoNotWaitForTheWorkerPool) {
  // One worker, held by a blocked handler: a request the server serves inline
  // runs on the I/O thread and releases it; without inline serving it would
  // queue behind the blocked one and the wait would time out.
  ServerOptions o = TestOptions();
  o.io_threads = 1;
  o.worker_threads = 1;
  o.serve_inline = [](const Request& req) { return req.path == "release"; };
  BlockUntilReleased h;
  auto server = MustStart(o, h.MakeHandler());
  ASSERT_TRUE(server);
  h.Run(*server);
  EXPECT_NE(h.release_thread, h.block_thread);
}

TEST(ServerTest, RequestsServeOnFiberPicksRunAsFibersOthersOnThreads) {
  // A handler on a fiber may suspend without holding its thread: two
  // requests that each wait for the other to arrive both finish on ONE fiber
  // thread (on a thread each they would need two).
  ServerOptions o = TestOptions();
  o.fiber_threads = 1;
  o.serve_on_fiber = [](const Request& req) { return req.path.starts_with("fiber"); };
  std::mutex mu;
  std::vector<fiber::Fiber*> waiting;  // guarded by mu
  auto server = MustStart(o, [&](Request req) {
    const bool on_fiber = fiber::Current() != nullptr;
    if (on_fiber && req.path.starts_with("fiber/pair")) {
      std::unique_lock<std::mutex> lock(mu);
      if (waiting.empty()) {
        waiting.push_back(fiber::Current());
        lock.unlock();
        fiber::Suspend();  // until the other one arrives
      } else {
        fiber::Wake(waiting.back());
        waiting.clear();
      }
    }
    return Response::Data(Json{{"on_fiber", on_fiber}});
  });
  ASSERT_TRUE(server);
  auto call = [&](const std::string& path) -> Result<ClientResponse> {
    ClientOptions co;
    co.address = "http://" + server->BoundAddress();
    co.timeout_s = 10;
    return Client(co).Do("POST", path, "{}", {});
  };
  std::optional<Result<ClientResponse>> first;
  std::thread t([&] { first = call("/v1/fiber/pair"); });
  auto second = call("/v1/fiber/pair");
  t.join();
  ASSERT_TRUE(first.has_value());
  for (auto* r : {&*first, &second}) {
    ASSERT_TRUE(r->ok()) << r->status().ToString();
    EXPECT_EQ((*r)->status, 200);
    EXPECT_EQ(Json::parse((*r)->body)["data"]["on_fiber"], true);
  }
  auto pooled = call("/v1/elsewhere");
  ASSERT_TRUE(pooled.ok());
  EXPECT_EQ(Json::parse(pooled->body)["data"]["on_fiber"], false);
}

TEST(ServerTest, ThreadsAreNamedForWhatTheyDo) {
  // `top -H`, perf and /proc/<pid>/task show which threads are busy: I/O
  // threads (inline requests run there) and handler threads are named.
  ServerOptions o = TestOptions();
  o.serve_inline = [](const Request& req) { return req.path == "inline"; };
  auto server = MustStart(o, [](Request) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    return Response::Data(Json{{"thread", std::string(name)}});
  });
  ASSERT_TRUE(server);
  ClientOptions co;
  co.address = "http://" + server->BoundAddress();
  co.timeout_s = 10;
  Client client(co);
  for (const auto& [path, expected] : {std::pair{"/v1/inline", "coffer-http-io"},
                                       std::pair{"/v1/pooled", "coffer-handler"}}) {
    auto r = client.Do("GET", path, "", {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(Json::parse(r->body)["data"]["thread"], expected) << path;
  }
}

TEST(ServerTest, ConnectionsSpreadOverIoThreadsAndAllAnswer) {
  // Inline requests report the I/O thread that ran them: with three I/O
  // threads, six connections land on all three, and each keeps its own.
  ServerOptions o = TestOptions();
  o.io_threads = 3;
  o.serve_inline = [](const Request&) { return true; };
  std::mutex mu;
  std::map<std::string, std::set<std::thread::id>> threads_by_conn;
  auto server = MustStart(o, [&](Request req) {
    std::lock_guard<std::mutex> lock(mu);
    threads_by_conn[req.remote_addr].insert(std::this_thread::get_id());
    return Response::Data(Json{{"path", req.path}});
  });
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<Client>> clients;
  ClientOptions co;
  co.address = "http://" + server->BoundAddress();
  co.timeout_s = 10;
  for (int i = 0; i < 6; ++i) clients.push_back(std::make_unique<Client>(co));
  for (int round = 0; round < 3; ++round) {
    for (auto& c : clients) {
      auto r = c->Do("GET", "/v1/x", "", {});
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->status, 200);
    }
  }
  std::set<std::thread::id> all;
  for (const auto& [conn, ids] : threads_by_conn) {
    EXPECT_EQ(ids.size(), 1u) << conn;
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(threads_by_conn.size(), 6u);
  EXPECT_EQ(all.size(), 3u);
}

TEST(ServerTest, AnIoThreadAnswersTheRequestsReadyTogetherAfterHandlingThemAll) {
  // Inline answers are written after every request that was ready with them
  // has been handled (one wake-up of the client for the lot, not one per
  // answer). One I/O thread, held by an inline handler while two more
  // requests arrive; once it is free both are ready at once, and the second
  // handler to run waits up to 300 ms for the client to see the first one's
  // answer: it must not, because that answer is written only afterwards.
  ServerOptions o = TestOptions();
  o.io_threads = 1;
  o.serve_inline = [](const Request&) { return true; };
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  bool holding = false;
  std::string first;             // the first of b and c to be handled
  std::set<std::string> answered;  // seen by the client
  bool second_saw_first_answered = false;
  auto server = MustStart(o, [&](Request req) {
    std::unique_lock<std::mutex> lock(mu);
    if (req.path == "hold") {
      holding = true;
      cv.notify_all();
      cv.wait_for(lock, std::chrono::seconds(5), [&] { return released; });
    } else if (first.empty()) {
      first = req.path;
    } else {
      second_saw_first_answered = cv.wait_for(lock, milliseconds(300),
                                              [&] { return answered.count(first) != 0; });
    }
    return Response::Data(Json{{"path", req.path}});
  });
  ASSERT_TRUE(server);
  const int port = PortOf(server->BoundAddress());
  auto request = [](std::string_view path) {
    return "GET /v1/" + std::string(path) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  };
  RawConn hold(port);
  ASSERT_TRUE(hold.connected());
  hold.Send(request("hold"));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return holding; }));
  }
  RawConn b(port);
  RawConn c(port);
  ASSERT_TRUE(b.connected() && c.connected());
  b.Send(request("b"));
  c.Send(request("c"));
  std::map<std::string, std::string> replies;
  auto read = [&](RawConn* conn, std::string name) {
    bool closed = false;
    std::string reply = conn->ReadUntilClose(std::chrono::seconds(5), &closed);
    std::lock_guard<std::mutex> lock(mu);
    replies[name] = reply;
    answered.insert(name);
    cv.notify_all();
  };
  std::thread read_b(read, &b, "b");
  std::thread read_c(read, &c, "c");
  // Both requests are in the kernel before the I/O thread is let go (a
  // loopback send is delivered when it returns).
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
  bool closed = false;
  EXPECT_NE(hold.ReadUntilClose(std::chrono::seconds(5), &closed).find("200 OK"),
            std::string::npos);
  read_b.join();
  read_c.join();
  EXPECT_NE(replies["b"].find("200 OK"), std::string::npos) << replies["b"];
  EXPECT_NE(replies["c"].find("200 OK"), std::string::npos) << replies["c"];
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_FALSE(first.empty());
  EXPECT_FALSE(second_saw_first_answered) << first << "'s answer was written before the other "
                                          << "ready request was handled";
}

TEST(ServerTest, ByDefaultFortyRequestsCanWaitAtOnce) {
  // Durable writes wait for their group commit on a handler thread; a group
  // can only be as large as the number of handlers waiting together. Forty
  // handlers each wait until all forty have arrived: with fewer default
  // workers they would time out.
  ServerOptions o;
  o.address = "127.0.0.1:0";
  constexpr int kN = 40;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  auto server = MustStart(o, [&](Request req) {
    std::unique_lock<std::mutex> lock(mu);
    ++arrived;
    cv.notify_all();
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return arrived >= kN; })) {
      return ErrorResponse(Internal("only " + std::to_string(arrived) + " arrived"));
    }
    return Response::Data(Json{{"path", req.path}});
  });
  ASSERT_TRUE(server);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&] {
      Client c = MakeClient(*server);
      auto r = c.Do("PUT", "/v1/secret/w", "{}", {});
      if (r.ok() && r->status == 200) ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kN);
}

TEST(ServerTest, FiftyParallelRequests) {
  auto server = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(server);
  constexpr int kN = 50;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      Client c = MakeClient(*server);
      auto r =
          c.Do("PUT", "/v1/secret/p" + std::to_string(i), R"({"i":)" + std::to_string(i) + "}", {});
      if (!r.ok() || r->status != 200) return;
      Json b = Json::parse(r->body);
      if (b["data"]["path"] == "secret/p" + std::to_string(i) && b["data"]["data"]["i"] == i)
        ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kN);
}

TEST(ServerTest, HandlerExceptionIs500AndServerSurvives) {
  auto server = MustStart(TestOptions(), [](Request req) -> Response {
    if (req.path == "boom") throw std::runtime_error("boom");
    return Response::Data(Json{{"ok", true}});
  });
  ASSERT_TRUE(server);
  Client c = MakeClient(*server);
  auto r = c.Do("GET", "/v1/boom", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"errors":["internal error"]})");
  r = c.Do("GET", "/v1/fine", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(ServerTest, ClientRetriesOnceWhenServerDroppedTheConnection) {
  auto first = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(first);
  const std::string address = first->BoundAddress();
  ClientOptions co;
  co.address = "http://" + address;
  co.timeout_s = 10;
  Client client(co);
  auto r = client.Do("GET", "/v1/a", "", {});
  ASSERT_TRUE(r.ok());
  const Json remote1 = Json::parse(r->body)["data"]["remote"];
  first.reset();  // closes the kept-alive connection under the client

  ServerOptions o = TestOptions();
  o.address = address;
  auto second = MustStart(o, Echo);
  ASSERT_TRUE(second);
  r = client.Do("GET", "/v1/b", "", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(Json::parse(r->body)["data"]["remote"], remote1);
}

TEST(ServerTest, ConnectionRefusedIsUnavailableWithGoStyleMessage) {
  std::string address;
  {
    auto s = MustStart(TestOptions(), Echo);
    ASSERT_TRUE(s);
    address = s->BoundAddress();
  }
  ClientOptions co;
  co.address = "http://" + address;
  Client client(co);
  auto r = client.Do("GET", "/v1/sys/health", "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), Unavailable("dial tcp " + address + ": connection refused"));
}

TEST(ServerTest, StartRejectsBadOptions) {
  ServerOptions o = TestOptions();
  o.address = "127.0.0.1";
  EXPECT_EQ(Server::Start(o, Echo).status().code(), Code::kInvalidArgument);
  o.address = "127.0.0.1:99999";
  EXPECT_EQ(Server::Start(o, Echo).status().code(), Code::kInvalidArgument);
  o = TestOptions();
  o.tls = true;
  o.tls_cert_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(Server::Start(o, Echo).status().code(), Code::kInvalidArgument);
  // Port already taken.
  auto s = MustStart(TestOptions(), Echo);
  ASSERT_TRUE(s);
  o = TestOptions();
  o.address = s->BoundAddress();
  EXPECT_EQ(Server::Start(o, Echo).status().code(), Code::kIOError);
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "coffer-http-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto cert = GenerateTestCert({"localhost"}, {"127.0.0.1"});
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    auto files = WriteTestCertFiles(*cert, dir_);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    files_ = *files;
    ServerOptions o = TestOptions();
    o.tls = true;
    o.tls_cert_file = files_.cert_file;
    o.tls_key_file = files_.key_file;
    server_ = MustStart(o, Echo);
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ClientOptions Opts() {
    ClientOptions co;
    co.address = "https://" + server_->BoundAddress();
    co.timeout_s = 10;
    return co;
  }

  std::string dir_;
  TestCertFiles files_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsServerTest, VerifiedClientKeepsAlive) {
  ClientOptions co = Opts();
  co.ca_cert_file = files_.ca_file;
  Client client(co);
  auto r1 = client.Do("GET", "/v1/secret/a", "", {});
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->status, 200);
  auto r2 = client.Do("GET", "/v1/secret/b", "", {});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(Json::parse(r1->body)["data"]["remote"], Json::parse(r2->body)["data"]["remote"]);
}

TEST_F(TlsServerTest, HostNameIsVerified) {
  ClientOptions co = Opts();
  co.ca_cert_file = files_.ca_file;
  co.address = "https://localhost:" + std::to_string(PortOf(server_->BoundAddress()));
  auto r = Client(co).Do("GET", "/v1/x", "", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  co = Opts();
  co.ca_cert_file = files_.ca_file;
  co.tls_server_name = "other.example.com";
  r = Client(co).Do("GET", "/v1/x", "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

TEST_F(TlsServerTest, UnknownCaIsRejectedUnlessSkipVerify) {
  ClientOptions co = Opts();  // system trust store: does not know our test CA
  auto r = Client(co).Do("GET", "/v1/x", "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("certificate"), std::string::npos) << r.status().message();

  co.tls_skip_verify = true;
  r = Client(co).Do("GET", "/v1/x", "", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsServerTest, PlainHttpToTlsPortDoesNotHang) {
  ClientOptions co;
  co.address = "http://" + server_->BoundAddress();
  co.timeout_s = 5;
  auto r = Client(co).Do("GET", "/v1/x", "", {});
  EXPECT_FALSE(r.ok() && r->status == 200);
}

}  // namespace
}  // namespace coffer::http
