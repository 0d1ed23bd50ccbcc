#include "connection.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <openssl/ssl.h>

#include "gzip_encoder.h"
#include "web_config_settings.h"

namespace wgevents {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = HttpConnectionBase::Clock;

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";
// Room for a full header block and a small body, plus the start of a pipelined request.
constexpr std::size_t kReadBufferBytes = 2 * (kHttpMaxRequestHeaderBytes + kHttpMaxRequestBodyBytes);

// Beast 1.74 speaks boost::string_view.
std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

template <class Stream>
class Connection : public HttpConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, HttpTlsStream>;

 public:
  Connection(std::shared_ptr<HttpListener> listener, tcp::socket socket, std::shared_ptr<const WebConfig> tls_config)
      : listener_(std::move(listener)),
        tls_config_(std::move(tls_config)),
        stream_(make_stream(std::move(socket), tls_config_.get())),
        buffer_(kReadBufferBytes) {
    listener_->add(this);
  }
  ~Connection() override { listener_->remove(this); }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() {
    if constexpr (kTls) {
      // The idle timeout bounds the handshake too: a client that connects and says nothing, or
      // speaks plain HTTP and waits, is dropped like an idle one, and may give way like one.
      awaiting_request_ = true;
      awaiting_since_ = Clock::now();
      tcp_layer().expires_after(listener_->limits().idle_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](const error_code& ec) {
        if (self->closed_) return;
        if (ec) {
          self->close();
        } else {
          self->read_request();
        }
      });
    } else {
      read_request();
    }
  }

  // Cancels whatever is pending; the handlers then see operation_aborted. The response state stays
  // until the connection goes away, as a cancelled operation may still refer to it.
  void close() override {
    closed_ = true;
    tcp_layer().close();
  }

  std::optional<Clock::time_point> idle_since() override {
    if (closed_ || !awaiting_request_) return std::nullopt;
    if constexpr (kTls) {
      // A handshake message has arrived: a client on its way in.
      SSL* ssl = stream_.native_handle();
      if (!SSL_is_init_finished(ssl) && SSL_get_state(ssl) != TLS_ST_BEFORE) return std::nullopt;
    }
    // Part of a request has arrived (bytes waiting in the buffer, or taken by the parser).
    if (parser_ && (parser_->got_some() || buffer_.size() != 0)) return std::nullopt;
    return awaiting_since_;
  }

 private:
  static Stream make_stream(tcp::socket socket, const WebConfig* tls_config) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls_config->settings().tls);
    } else {
      (void)tls_config;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void read_request();
  void on_request(const error_code& ec);
  // Asks the handler and carries out its plan; a route callback that throws gets a 500.
  void decide();
  void carry_out(ResponsePlan plan);
  void check_password(ResponsePlan plan);
  void on_password_checked(bool match, const basic_auth::Credentials& credentials, const std::string& hash);
  template <class Fields>
  void add_configured_headers(Fields& fields) const;
  void send_simple(ResponsePlan plan);
  void send_metrics(bool head, bool gzip, bool keep_alive);
  void write_next_piece();
  template <class Buffers>
  void write_piece(const Buffers& buffers, bool last);
  void on_piece_written(const error_code& ec, bool last);
  void on_response_written(const error_code& ec, bool keep_alive);
  // Closes after a complete response: FIN (and for TLS, close_notify first) after the data, so a
  // client reading to the end gets it all and can tell it from a cut-off one.
  void close_gracefully();
  void release_response() {
    simple_response_.reset();
    metrics_serializer_.reset();
    metrics_header_.reset();
    source_.reset();
    gzip_.reset();
  }

  std::shared_ptr<HttpListener> listener_;
  std::shared_ptr<const WebConfig> tls_config_;
  Stream stream_;
  beast::flat_buffer buffer_;  // bounded: a request larger than the limits fails to parse
  std::optional<http::request_parser<http::string_body>> parser_;
  // The request being answered, and its facts (views into it); kept while its password is checked.
  std::optional<http::request<http::string_body>> request_;
  HttpRequestFacts facts_;
  bool closed_ = false;
  // Waiting for a request or the TLS handshake, since awaiting_since_: what idle_since() reports.
  bool awaiting_request_ = false;
  Clock::time_point awaiting_since_;

  // The response being written. A metrics response is a header, then one piece at a time.
  std::optional<http::response<http::string_body>> simple_response_;
  std::optional<http::response<http::empty_body>> metrics_header_;
  std::optional<http::response_serializer<http::empty_body>> metrics_serializer_;
  std::unique_ptr<ChunkSource> source_;
  std::optional<GzipEncoder> gzip_;
  std::string piece_;       // the current piece from the source; reused to keep its capacity
  std::string compressed_;  // its gzip form, when the client asked for that
  bool chunked_ = false;    // HTTP/1.1: chunked; HTTP/1.0: raw bytes, then close
  unsigned version_ = 11;   // of the request being answered: 10 or 11
  bool keep_alive_ = false;
};

template <class Stream>
void Connection<Stream>::read_request() {
  version_ = 11;
  request_.reset();
  facts_ = {};
  parser_.emplace();
  parser_->header_limit(kHttpMaxRequestHeaderBytes);
  parser_->body_limit(kHttpMaxRequestBodyBytes);
  awaiting_request_ = true;
  awaiting_since_ = Clock::now();
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](const error_code& ec, std::size_t) {
    self->on_request(ec);
  });
}

template <class Stream>
void Connection<Stream>::on_request(const error_code& ec) {
  if (closed_) return;
  awaiting_request_ = false;
  if (ec) {
    // A malformed or oversized request gets an answer before the connection closes; a client
    // that went away (for TLS, also without close_notify), timed out, or was cancelled does not.
    static const auto& http_category = http::make_error_code(http::error::bad_target).category();
    if (ec == http::error::end_of_stream) {
      close_gracefully();
    } else if (ec == http::error::header_limit) {
      send_simple(HttpRequestHandler::unreadable(UnreadableRequest::header_too_large));
    } else if (ec == http::error::body_limit) {
      send_simple(HttpRequestHandler::unreadable(UnreadableRequest::body_too_large));
    } else if (ec.category() == http_category && ec != http::error::partial_message) {
      send_simple(HttpRequestHandler::unreadable(UnreadableRequest::malformed));
    } else {
      close();
    }
    return;
  }
  request_.emplace(parser_->release());
  parser_.reset();
  version_ = request_->version() == 10 ? 10 : 11;
  const auto& request = *request_;
  facts_.method = to_std(request.method_string());
  facts_.target = to_std(request.target());
  facts_.authorization = to_std(request[http::field::authorization]);
  facts_.accept_encoding = to_std(request[http::field::accept_encoding]);
  facts_.keep_alive = request.keep_alive();
  decide();
}

template <class Stream>
void Connection<Stream>::decide() {
  try {
    carry_out(listener_->handler().handle(facts_, listener_->web_config().get(), listener_->verified_credentials(),
                                          listener_->password_checks() != nullptr));
  } catch (const std::exception&) {
    // A route callback failed (or memory ran out); the client learns it, the server carries on.
    release_response();
    send_simple(HttpRequestHandler::internal_error(facts_));
  }
}

template <class Stream>
void Connection<Stream>::carry_out(ResponsePlan plan) {
  switch (plan.kind) {
    case ResponsePlan::Kind::simple: send_simple(std::move(plan)); return;
    case ResponsePlan::Kind::metrics: send_metrics(plan.head, plan.gzip, plan.keep_alive); return;
    case ResponsePlan::Kind::check_password: check_password(std::move(plan)); return;
  }
}

// On the password thread: bcrypt, padded to the highest cost of the file (or a decoy of that cost
// for an unknown user), then back to the io_context with the answer.
template <class Stream>
void Connection<Stream>::check_password(ResponsePlan plan) {
  asio::thread_pool* checks = listener_->password_checks();
  asio::post(*checks, [self = this->shared_from_this(), work = asio::make_work_guard(listener_->io()),
                       credentials = std::move(plan.credentials), hash = std::move(plan.password_hash),
                       decoy_cost = plan.decoy_cost]() mutable {
    const bool match = basic_auth::check_password(credentials.password, hash, decoy_cost);
    asio::post(work.get_executor(), [self = std::move(self), match, credentials = std::move(credentials),
                                     hash = std::move(hash)] { self->on_password_checked(match, credentials, hash); });
    work.reset();
  });
}

template <class Stream>
void Connection<Stream>::on_password_checked(bool match, const basic_auth::Credentials& credentials,
                                             const std::string& hash) {
  if (closed_) return;
  if (match) listener_->verified_credentials().insert(credentials, hash);
  try {
    carry_out(listener_->handler().after_password_check(facts_, match));
  } catch (const std::exception&) {
    release_response();
    send_simple(HttpRequestHandler::internal_error(facts_));
  }
}

template <class Stream>
template <class Fields>
void Connection<Stream>::add_configured_headers(Fields& fields) const {
  const auto& config = listener_->web_config();
  if (!config) return;
  for (const auto& [name, value] : config->settings().headers) fields.set(name, value);
}

template <class Stream>
void Connection<Stream>::send_simple(ResponsePlan plan) {
  auto& response = simple_response_.emplace(static_cast<http::status>(plan.status), version_);
  response.set(http::field::content_type, beast::string_view(plan.content_type.data(), plan.content_type.size()));
  if (plan.allow_header) response.set(http::field::allow, "GET, HEAD");
  if (plan.authenticate_header) response.set(http::field::www_authenticate, "Basic");
  add_configured_headers(response);
  response.content_length(plan.body.size());
  if (!plan.head) response.body() = std::move(plan.body);
  const bool keep_alive = plan.keep_alive;
  response.keep_alive(keep_alive);
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_write(stream_, response, [self = this->shared_from_this(), keep_alive](const error_code& ec, std::size_t) {
    self->on_response_written(ec, keep_alive);
  });
}

template <class Stream>
void Connection<Stream>::send_metrics(bool head, bool gzip, bool keep_alive) {
  chunked_ = version_ == 11;
  // Without chunked encoding the end of the body is the end of the connection.
  keep_alive_ = chunked_ && keep_alive;
  if (!head) {
    source_ = listener_->routes().metrics();
    if (!source_) throw std::logic_error("metrics route returned no source");
    if (gzip) gzip_.emplace();
  }
  auto& header = metrics_header_.emplace(http::status::ok, version_);
  header.set(http::field::content_type, kMetricsContentType);
  if (gzip) header.set(http::field::content_encoding, "gzip");
  header.set(http::field::vary, "Accept-Encoding");
  add_configured_headers(header);
  header.chunked(chunked_);
  header.keep_alive(keep_alive_);
  auto& serializer = metrics_serializer_.emplace(header);
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  http::async_write_header(stream_, serializer, [self = this->shared_from_this(), head](const error_code& ec, std::size_t) {
    self->on_piece_written(ec, head);
  });
}

template <class Stream>
void Connection<Stream>::write_next_piece() {
  bool more = true;
  std::string_view payload;
  // Empty pieces are skipped: a zero-length chunk would end the body.
  while (payload.empty() && more) {
    piece_.clear();
    try {
      more = source_->next(piece_);
      payload = piece_;
      if (gzip_) {
        compressed_.clear();
        gzip_->write(piece_, !more, compressed_);
        payload = compressed_;
      }
    } catch (const std::exception&) {
      // Cut the response off without its last chunk: the client sees a truncated body.
      close();
      return;
    }
  }
  if (!more) {
    // Exhausted: let go of whatever the source holds before the last bytes are on their way.
    source_.reset();
    gzip_.reset();
  }
  const asio::const_buffer data(payload.data(), payload.size());
  if (!chunked_) {
    write_piece(data, !more);
  } else if (more) {
    write_piece(http::make_chunk(data), false);
  } else if (payload.empty()) {
    write_piece(http::make_chunk_last(), true);
  } else {
    write_piece(beast::buffers_cat(http::make_chunk(data), http::make_chunk_last()), true);
  }
}

template <class Stream>
template <class Buffers>
void Connection<Stream>::write_piece(const Buffers& buffers, bool last) {
  tcp_layer().expires_after(listener_->limits().idle_timeout);
  asio::async_write(stream_, buffers, [self = this->shared_from_this(), last](const error_code& ec, std::size_t) {
    self->on_piece_written(ec, last);
  });
}

// After the header or a piece of a metrics response (`last`: nothing follows it).
template <class Stream>
void Connection<Stream>::on_piece_written(const error_code& ec, bool last) {
  if (closed_) return;
  if (ec) {
    close();
  } else if (last) {
    on_response_written(ec, keep_alive_);
  } else {
    write_next_piece();
  }
}

template <class Stream>
void Connection<Stream>::on_response_written(const error_code& ec, bool keep_alive) {
  if (closed_) return;
  release_response();
  if (ec) {
    close();
  } else if (keep_alive) {
    read_request();
  } else {
    close_gracefully();
  }
}

template <class Stream>
void Connection<Stream>::close_gracefully() {
  if constexpr (kTls) {
    // close_notify, then wait (within the idle timeout) for the client's or for it to hang up.
    tcp_layer().expires_after(listener_->limits().idle_timeout);
    stream_.async_shutdown([self = this->shared_from_this()](const error_code&) {
      if (!self->closed_) self->close();
    });
  } else {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    close();
  }
}

}  // namespace

void start_http_connection(std::shared_ptr<HttpListener> listener, tcp::socket socket,
                           std::shared_ptr<const WebConfig> tls_config) {
  if (tls_config) {
    std::make_shared<Connection<HttpTlsStream>>(std::move(listener), std::move(socket), std::move(tls_config))->start();
  } else {
    std::make_shared<Connection<HttpPlainStream>>(std::move(listener), std::move(socket), nullptr)->start();
  }
}

}  // namespace wgevents
