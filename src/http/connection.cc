// One HTTP/1.1 connection: read a request with Beast, run the exchange on the
// connection's I/O thread (requests the server serves inline) or on the worker
// pool, write the response on the I/O thread, repeat while keep-alive holds.
// Templated on the stream so plain TCP and TLS share it.
#include "http/connection.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <type_traits>

#include "common/log.h"
#include "http/wire.h"

namespace coffer::http::internal {

uint64_t ServerShared::Register(std::weak_ptr<ConnectionBase> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  live_.emplace(id, std::move(connection));
  return id;
}

void ServerShared::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(id);
}

std::vector<std::shared_ptr<ConnectionBase>> ServerShared::Live() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ConnectionBase>> out;
  for (auto& [id, weak] : live_) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using error_code = boost::system::error_code;
// Bare sockets: the connection keeps its own deadline (see SetDeadline)
// instead of beast::tcp_stream's timer operation per read and per write. And
// the io_context's own executor type rather than the type-erased
// any_io_executor, which every asynchronous operation copies and calls
// through.
using Executor = asio::io_context::executor_type;
using PlainStream = asio::basic_stream_socket<asio::ip::tcp, Executor>;
using TlsStream = beast::ssl_stream<PlainStream>;
using Clock = std::chrono::steady_clock;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;

constexpr size_t kReadChunk = 4096;
// After a response that closes the connection, how long and how much we keep
// reading (and discarding) so the peer sees the response rather than a reset.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr size_t kLingerMaxBytes = 256 << 10;
constexpr std::chrono::milliseconds kDefaultWriteTimeout{std::chrono::seconds(60)};

// How often a connection with a deadline checks it: a quarter of the
// shortest configured timeout, within [25 ms, 1 s] (1 s with the defaults).
// A timeout fires at most one period late.
std::chrono::milliseconds WatchPeriod(const ServerOptions& o) {
  constexpr std::chrono::milliseconds kMin{25}, kMax{1000};
  std::chrono::milliseconds shortest = 4 * kMax;
  for (auto t : {o.read_header_timeout, o.read_timeout, o.idle_timeout}) {
    if (t.count() > 0) shortest = std::min(shortest, t);
  }
  return std::clamp(shortest / 4, kMin, kMax);
}

HttpResponse JsonError(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  r.body = Json{{"errors", Json::array({std::string(message)})}}.dump();
  return r;
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... StreamArgs>
  Connection(std::shared_ptr<ServerShared> shared, std::string remote, StreamArgs&&... args)
      : shared_(std::move(shared)),
        opts_(shared_->options),
        stream_(std::forward<StreamArgs>(args)...),
        watchdog_(stream_.get_executor()),
        watch_period_(WatchPeriod(opts_)),
        remote_(std::move(remote)) {}

  ~Connection() override {
    if (id_ != 0) shared_->Unregister(id_);
  }

  void Start() {
    id_ = shared_->Register(this->weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void Close() override {
    error_code ec;
    beast::get_lowest_layer(stream_).close(ec);
    watchdog_.cancel();
  }

 private:
  // The deadline of the current phase (zero: none), enforced by a watchdog
  // that wakes every watch_period_ while there is one and closes the socket
  // once it has passed (the pending read or write then fails). Moving the
  // deadline costs no timer operation: on the request path only a store.
  void SetDeadline(std::chrono::milliseconds d) {
    deadline_ = d.count() > 0 ? Clock::now() + d : Clock::time_point::max();
    if (!watching_ && deadline_ != Clock::time_point::max()) Watch();
  }

  void Watch() {
    watching_ = true;
    watchdog_.expires_after(watch_period_);
    watchdog_.async_wait([weak = this->weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->watching_ = false;
      if (ec) return;  // cancelled: the connection is closing
      if (self->deadline_ == Clock::time_point::max()) return;  // none now
      if (Clock::now() >= self->deadline_) {
        self->Close();
        return;
      }
      self->Watch();
    });
  }

  void Begin() {
    if constexpr (kTls) {
      SetDeadline(opts_.read_header_timeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server, [self = this->shared_from_this()](error_code ec) {
            if (ec) {
              COFFER_LOG(kDebug, "http")
                  << "TLS handshake with " << self->remote_ << " failed: " << ec.message();
              return;
            }
            self->ReadHeader();
          });
    } else {
      ReadHeader();
    }
  }

  // Between keep-alive requests: wait for the first byte under the idle
  // timeout, then read the header under the header timeout.
  void AwaitNextRequest() {
    if (buffer_.size() > 0) {
      ReadHeader();
      return;
    }
    SetDeadline(opts_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](error_code ec, size_t n) {
                              if (ec) return;  // idle timeout or peer closed: drop
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(opts_.max_header_bytes);
    if (opts_.max_request_size < 0) {
      parser_->body_limit(boost::none);
    } else {
      parser_->body_limit(static_cast<uint64_t>(opts_.max_request_size));
    }
    SetDeadline(opts_.read_header_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    const auto& req = parser_->get();
    version_ = req.version() == 10 ? 10 : 11;
    const auto length = parser_->content_length();
    if (length && opts_.max_request_size >= 0 &&
        *length > static_cast<uint64_t>(opts_.max_request_size)) {
      SendAndClose(TooLarge());
      return;
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    if (version_ == 11 && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont =
          std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      SetDeadline(WriteTimeout());
      bhttp::async_write(stream_, *cont,
                         [self = this->shared_from_this(), cont](error_code wec, size_t) {
                           if (!wec) self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    SetDeadline(opts_.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](error_code ec, size_t) {
                        if (ec) {
                          self->OnReadError(ec);
                        } else {
                          self->Dispatch();
                        }
                      });
  }

  void OnReadError(const error_code& ec) {
    if (ec == bhttp::error::body_limit) {
      SendAndClose(TooLarge());
    } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      SendAndClose(JsonError(431, "http: request header too large"));
    } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      // Peer closed, possibly mid-request: nothing to answer.
    } else if (IsHttpParseError(ec)) {
      SendAndClose(JsonError(400, "malformed HTTP request"));
    } else if (ec != asio::error::operation_aborted) {
      COFFER_LOG(kDebug, "http") << "read from " << remote_ << ": " << ec.message();
    }
    // Timeouts: the watchdog closed the socket (the read failed with
    // operation_aborted); dropping our reference ends the connection.
  }

  static HttpResponse TooLarge() {
    return RenderError(Status(Code::kTooLarge, "http: request body too large"));
  }

  void Dispatch() {
    SetDeadline(std::chrono::milliseconds(0));  // the handler has no deadline
    auto req = parser_->release();
    parser_.reset();
    RawRequest raw;
    raw.method = std::string(req.method_string());
    raw.target = std::string(req.target());
    for (const auto& field : req) {
      raw.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    raw.body = std::move(req.body());
    raw.remote_addr = remote_;
    const bool keep_alive = req.keep_alive();
    PendingExchange pending = BeginExchange(raw);
    if (RunsInline(pending)) {
      // The answer is written by a handler queued behind the other requests
      // this thread found ready with this one, so they are all handled
      // before any answer goes out: answers sent back to back wake a client
      // waiting on several connections once, not once each (at 64 loopback
      // connections, context switches per kv read 1.2-1.4 -> ~0.8).
      HttpResponse response = FinishExchange(std::move(pending), shared_->handler);
      asio::post(stream_.get_executor(),
                 [self = this->shared_from_this(), response = std::move(response),
                  keep_alive]() mutable { self->Write(std::move(response), keep_alive); });
      return;
    }
    // The handler may block: run it on the worker pool (or as a fiber, when
    // the server's serve_on_fiber says it may), then come back to this
    // connection's I/O thread to write.
    auto executor = stream_.get_executor();
    WorkerPool* pool = RunsOnFiber(pending) ? shared_->fibers : shared_->workers;
    pool->Post([self = this->shared_from_this(), pending = std::move(pending), keep_alive,
                executor]() mutable {
      HttpResponse response = FinishExchange(std::move(pending), self->shared_->handler);
      asio::post(executor, [self, response = std::move(response), keep_alive]() mutable {
        self->Write(std::move(response), keep_alive);
      });
    });
  }

  // Errors of translation are rendered at once; a request runs on this I/O
  // thread only when the server's serve_inline says it never waits long.
  bool RunsInline(const PendingExchange& pending) const {
    if (!pending.request.ok()) return true;
    const auto& serve_inline = shared_->options.serve_inline;
    if (!serve_inline) return false;
    try {
      return serve_inline(*pending.request);
    } catch (...) {
      return false;
    }
  }

  bool RunsOnFiber(const PendingExchange& pending) const {
    const auto& serve_on_fiber = shared_->options.serve_on_fiber;
    if (!serve_on_fiber || shared_->fibers == nullptr) return false;
    try {
      return serve_on_fiber(*pending.request);
    } catch (...) {
      return false;
    }
  }

  void SendAndClose(HttpResponse response) { Write(std::move(response), /*keep_alive=*/false); }

  void Write(HttpResponse response, bool keep_alive) {
    if (shared_->stopping.load()) keep_alive = false;
    std::shared_ptr<std::string> wire;
    try {
      wire = std::make_shared<std::string>(WireResponse(response, version_, keep_alive));
    } catch (const std::exception& e) {
      COFFER_LOG(kError, "http") << "cannot build response: " << e.what();
      return;  // drop the connection
    }
    SetDeadline(WriteTimeout());
    asio::async_write(stream_, asio::buffer(*wire),
                      [self = this->shared_from_this(), wire, keep_alive](error_code ec, size_t) {
                        if (ec) return;
                        if (keep_alive) {
                          self->AwaitNextRequest();
                        } else {
                          self->CloseGracefully();
                        }
                      });
  }

  std::chrono::milliseconds WriteTimeout() const {
    return opts_.idle_timeout.count() > 0 ? opts_.idle_timeout : kDefaultWriteTimeout;
  }

  // Closes after a final response without resetting a peer that is still
  // sending: TLS sends close_notify; plain TCP half-closes and drains a
  // bounded amount for a bounded time.
  void CloseGracefully() {
    SetDeadline(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->Close(); });
    } else {
      error_code ec;
      stream_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      if (ec) return;
      Drain();
    }
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = this->shared_from_this()](error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerMaxBytes) {
                                self->Close();
                                return;
                              }
                              self->Drain();
                            });
  }

  std::shared_ptr<ServerShared> shared_;
  const ServerOptions& opts_;
  Stream stream_;
  Timer watchdog_;
  const std::chrono::milliseconds watch_period_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool watching_ = false;  // a watchdog wait is pending
  std::string remote_;
  uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  unsigned version_ = 11;
  std::array<char, 8192> drain_buf_{};
  size_t drained_ = 0;
};

}  // namespace

void StartConnection(std::shared_ptr<ServerShared> shared, asio::io_context& loop,
                     asio::ip::tcp::socket accepted, std::string remote_addr) {
  error_code ec;
  accepted.set_option(asio::ip::tcp::no_delay(true), ec);
  const auto protocol = accepted.local_endpoint(ec).protocol();
  if (ec) return;
  const auto fd = accepted.release(ec);
  if (ec) return;  // `accepted` still owns the descriptor and closes it
  PlainStream socket(loop.get_executor());
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  if (shared->tls) {
    asio::ssl::context& ctx = *shared->tls;
    std::make_shared<Connection<TlsStream>>(std::move(shared), std::move(remote_addr),
                                            std::move(socket), ctx)
        ->Start();
  } else {
    std::make_shared<Connection<PlainStream>>(std::move(shared), std::move(remote_addr),
                                              std::move(socket))
        ->Start();
  }
}

}  // namespace coffer::http::internal
