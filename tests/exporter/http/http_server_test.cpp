// The HTTP server against a real client over loopback: the server runs on its own io_context
// thread, the test talks to it with blocking Beast calls.
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20.

// With -fsanitize=address, GCC 12 reports a false -Wmaybe-uninitialized on the boost::optional that
// Beast's response parser (used only by this test's client) returns for Content-Length.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "http_test_support.h"
#include "wgevents/http/landing_page.h"
#include "wgevents/http/server.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using wgevents::ChunkSource;
using wgevents::HttpRoutes;
using wgevents::HttpServer;
using wgevents::HttpServerLimits;
using wgevents::test::gunzip;
using wgevents::test::NumberedLines;
using wgevents::test::read_until_closed;
using wgevents::test::RunningServer;

// A blocking client on one connection.
class Client {
 public:
  // `source`: another loopback address to connect from, as another host would.
  explicit Client(const tcp::endpoint& server, const char* source = nullptr) : socket_(io_) {
    if (source != nullptr) {
      socket_.open(tcp::v4());
      socket_.bind(tcp::endpoint(asio::ip::make_address(source), 0));
    }
    socket_.connect(server);
  }

  void send(http::verb method, const std::string& target, unsigned version = 11,
            const std::vector<std::pair<http::field, std::string>>& fields = {},
            const std::string& body = {}) {
    http::request<http::string_body> request(method, target, version);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : fields) request.set(name, value);
    if (!body.empty()) {
      request.body() = body;
      request.prepare_payload();
    }
    http::write(socket_, request);
  }

  void send_raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  http::response<http::string_body> receive(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  // Reads a response that may be cut off; returns the error instead of throwing.
  beast::error_code receive_until_error(std::string& body) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    body = parser.get().body();
    return ec;
  }

  http::response<http::string_body> request(
      http::verb method, const std::string& target, unsigned version = 11,
      const std::vector<std::pair<http::field, std::string>>& fields = {}) {
    send(method, target, version, fields);
    return receive(method == http::verb::head);
  }

  // True once the server has closed the connection (EOF or reset), after any unread bytes.
  bool closed_by_server() {
    const beast::error_code ec = read_until_closed(socket_);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  // Asks for the metrics page and reads only its header, leaving the server writing the body.
  void start_slow_read() {
    send(http::verb::get, "/metrics");
    http::response_parser<http::string_body> parser;
    http::read_header(socket_, buffer_, parser);
  }

  // True if `bytes` more arrive before the connection ends.
  bool still_receives(std::size_t bytes) {
    std::string more(bytes, '\0');
    beast::error_code ec;
    asio::read(socket_, asio::buffer(more), ec);
    return !ec;
  }

  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

http::response<http::string_body> fetch(
    const tcp::endpoint& server, http::verb method, const std::string& target,
    unsigned version = 11, const std::vector<std::pair<http::field, std::string>>& fields = {}) {
  Client client(server);
  return client.request(method, target, version, fields);
}

constexpr std::size_t kPageBytes = 5 * 1024 * 1024;
constexpr std::size_t kPieceBytes = 64 * 1024;

HttpRoutes numbered_routes(std::size_t total = kPageBytes) {
  HttpRoutes routes;
  routes.metrics = [total] { return std::make_unique<NumberedLines>(total, kPieceBytes); };
  routes.ready = [] { return true; };
  routes.landing_page = [path = routes.telemetry_path] {
    return wgevents::landing_page_html(path, "0.1.0", wgevents::HostsSending{});
  };
  return routes;
}

}  // namespace

TEST_CASE("a large metrics page arrives complete, in order and chunked", "[http]") {
  RunningServer server(numbered_routes());
  auto response = fetch(server.endpoint(), http::verb::get, "/metrics");
  CHECK(response.result() == http::status::ok);
  CHECK(response.chunked());
  CHECK(response[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(response[http::field::content_encoding].empty());
  CHECK(response.body() == NumberedLines::whole(kPageBytes));
}

TEST_CASE("other work on the io_context runs between pieces of a page", "[http]") {
  // Each piece posts a handler; if the server wrote the page in one go, none would have run by
  // the time the last piece is asked for.
  struct CountingSource : ChunkSource {
    CountingSource(asio::io_context& io, std::atomic<int>& ran, std::atomic<int>& ran_at_last)
        : io(io), ran(ran), ran_at_last(ran_at_last) {}
    bool next(std::string& out) override {
      asio::post(io, [&ran = ran] { ++ran; });
      out.assign(kPieceBytes, 'x');
      if (++pieces < 20) return true;
      ran_at_last = ran.load();
      return false;
    }
    asio::io_context& io;
    std::atomic<int>& ran;
    std::atomic<int>& ran_at_last;
    int pieces = 0;
  };
  std::atomic<int> ran{0};
  std::atomic<int> ran_at_last{-1};
  std::atomic<asio::io_context*> io{nullptr};
  HttpRoutes routes = numbered_routes();
  routes.metrics = [&] { return std::make_unique<CountingSource>(*io.load(), ran, ran_at_last); };
  RunningServer server(std::move(routes));
  io = &server.io();
  auto response = fetch(server.endpoint(), http::verb::get, "/metrics");
  CHECK(response.body().size() == 20 * kPieceBytes);
  CHECK(ran_at_last > 0);
}

TEST_CASE("gzip is used when the client accepts it", "[http]") {
  // Accept-Encoding value -> whether the page comes gzipped.
  const std::vector<std::pair<std::string, bool>> table = {
      {"gzip", true},
      {"GZIP", true},
      {"deflate, gzip;q=0.5", true},
      {"br,gzip", true},
      {"gzip;q=1.0, identity; q=0.5, *;q=0", true},
      {"gzip;q=0", false},  // explicitly refused
      {"gzip; q=0.000", false},
      {"identity", false},
      {"x-gzip", false},
      {"*", false},  // identity is acceptable too; keep it simple
      {"deflate", false},
  };
  RunningServer server(numbered_routes());
  const std::string expected = NumberedLines::whole(kPageBytes);
  for (const auto& [accept_encoding, gzipped] : table) {
    INFO("Accept-Encoding: " << accept_encoding);
    auto response = fetch(server.endpoint(), http::verb::get, "/metrics", 11,
                          {{http::field::accept_encoding, accept_encoding}});
    REQUIRE(response.result() == http::status::ok);
    if (gzipped) {
      CHECK(response[http::field::content_encoding] == "gzip");
      CHECK(response.body().size() < expected.size() / 4);
      CHECK(gunzip(response.body()) == expected);
    } else {
      CHECK(response[http::field::content_encoding].empty());
      CHECK(response.body() == expected);
    }
  }
}

TEST_CASE("HTTP/1.0 clients get the raw page and a closed connection", "[http]") {
  RunningServer server(numbered_routes());
  const std::string expected = NumberedLines::whole(kPageBytes);
  SECTION("identity") {
    Client client(server.endpoint());
    auto response = client.request(http::verb::get, "/metrics", 10);
    CHECK(response.version() == 10);
    CHECK_FALSE(response.chunked());
    CHECK(response.body() == expected);
    CHECK(client.closed_by_server());
  }
  SECTION("gzip") {
    auto response = fetch(server.endpoint(), http::verb::get, "/metrics", 10,
                          {{http::field::accept_encoding, "gzip"}});
    CHECK(response[http::field::content_encoding] == "gzip");
    CHECK(gunzip(response.body()) == expected);
  }
  SECTION("other pages keep the connection when asked to") {
    Client client(server.endpoint());
    auto first = client.request(http::verb::get, "/-/healthy", 10,
                                {{http::field::connection, "keep-alive"}});
    CHECK(first.result() == http::status::ok);
    CHECK(first.keep_alive());
    auto second = client.request(http::verb::get, "/-/healthy", 10);
    CHECK(second.body() == "OK\n");
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("endpoints answer with the right status", "[http]") {
  std::atomic<bool> ready{false};
  HttpRoutes routes = numbered_routes(1000);
  routes.ready = [&ready] { return ready.load(); };
  RunningServer server(std::move(routes));
  const auto at = server.endpoint();

  struct Row {
    http::verb method;
    std::string target;
    http::status status;
  };
  const std::vector<Row> table = {
      {http::verb::get, "/metrics", http::status::ok},
      {http::verb::get, "/metrics?name[]=x", http::status::ok},  // query ignored
      {http::verb::get, "/-/healthy", http::status::ok},
      {http::verb::get, "/", http::status::ok},
      {http::verb::get, "/metrics/", http::status::not_found},
      {http::verb::get, "/nothing", http::status::not_found},
      {http::verb::post, "/nothing", http::status::not_found},
      {http::verb::post, "/metrics", http::status::method_not_allowed},
      {http::verb::put, "/-/healthy", http::status::method_not_allowed},
      {http::verb::delete_, "/", http::status::method_not_allowed},
      {http::verb::get, "/-/ready", http::status::service_unavailable},
  };
  for (const auto& row : table) {
    INFO(row.method << " " << row.target);
    auto response = fetch(at, row.method, row.target);
    CHECK(response.result() == row.status);
    if (row.status == http::status::method_not_allowed) {
      CHECK(response[http::field::allow] == "GET, HEAD");
    }
  }

  ready = true;
  auto response = fetch(at, http::verb::get, "/-/ready");
  CHECK(response.result() == http::status::ok);
  CHECK(response.body() == "OK\n");
  ready = false;
  CHECK(fetch(at, http::verb::get, "/-/ready").result() == http::status::service_unavailable);

  auto healthy = fetch(at, http::verb::get, "/-/healthy");
  CHECK(healthy.body() == "OK\n");
  CHECK(healthy[http::field::content_type] == "text/plain; charset=utf-8");
}

TEST_CASE("the landing page links to the telemetry path", "[http]") {
  HttpRoutes routes = numbered_routes(1000);
  routes.telemetry_path = "/wireguard";
  routes.landing_page = [] { return wgevents::landing_page_html("/wireguard", "1.2.3", wgevents::HostsSending{}); };
  RunningServer server(routes);

  auto page = fetch(server.endpoint(), http::verb::get, "/");
  CHECK(page.result() == http::status::ok);
  CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
  CHECK(page.body() == routes.landing_page());
  CHECK(page.body().find("href=\"/wireguard\"") != std::string::npos);
  CHECK(page.body().find("1.2.3") != std::string::npos);
  CHECK(page.body().find("Hosts sending: <span id=\"hosts\">1</span>") != std::string::npos);
  CHECK(page.body().find("host-names") == std::string::npos);

  CHECK(fetch(server.endpoint(), http::verb::get, "/wireguard").body() ==
        NumberedLines::whole(1000));
  CHECK(fetch(server.endpoint(), http::verb::get, "/metrics").result() == http::status::not_found);
}

TEST_CASE("the landing page is built anew for each request", "[http]") {
  std::vector<std::string> hosts;
  HttpRoutes routes = numbered_routes(1000);
  int built = 0;
  routes.landing_page = [&] {
    ++built;
    return wgevents::landing_page_html("/metrics", "1.2.3", wgevents::HostsSending{hosts.size(), hosts});
  };
  RunningServer server(routes);

  CHECK(fetch(server.endpoint(), http::verb::get, "/").body().find("<span id=\"hosts\">0</span>") !=
        std::string::npos);
  hosts = {"gw1", "gw2"};
  auto page = fetch(server.endpoint(), http::verb::get, "/").body();
  CHECK(page.find("<span id=\"hosts\">2</span>") != std::string::npos);
  CHECK(page.find("<li>gw1</li>\n<li>gw2</li>") != std::string::npos);
  CHECK(fetch(server.endpoint(), http::verb::head, "/").body().empty());
  CHECK(built == 3);
}

TEST_CASE("a landing page that cannot be built is a 500, and the server carries on", "[http]") {
  HttpRoutes routes = numbered_routes(1000);
  routes.landing_page = []() -> std::string { throw std::runtime_error("no page"); };
  RunningServer server(routes);
  CHECK(fetch(server.endpoint(), http::verb::get, "/").result() == http::status::internal_server_error);
  CHECK(fetch(server.endpoint(), http::verb::get, "/-/healthy").result() == http::status::ok);
}

TEST_CASE("the landing page escapes what it is given", "[http]") {
  const std::vector<std::string> hosts = {"gw<script>", "a&b"};
  const std::string page = wgevents::landing_page_html("/a\"<b>&", "v<1>", {hosts.size(), hosts});
  CHECK(page.find("href=\"/a&quot;&lt;b&gt;&amp;\"") != std::string::npos);
  CHECK(page.find("v&lt;1&gt;") != std::string::npos);
  CHECK(page.find("<li>gw&lt;script&gt;</li>") != std::string::npos);
  CHECK(page.find("<li>a&amp;b</li>") != std::string::npos);
  CHECK(page.find("<b>") == std::string::npos);
  CHECK(page.find("<script>") == std::string::npos);
}

TEST_CASE("HEAD answers with headers only", "[http]") {
  bool metrics_called = false;
  HttpRoutes routes = numbered_routes(1000);
  routes.metrics = [&metrics_called] {
    metrics_called = true;
    return std::make_unique<NumberedLines>(1000, 100);
  };
  RunningServer server(std::move(routes));
  Client client(server.endpoint());

  auto metrics = client.request(http::verb::head, "/metrics");
  CHECK(metrics.result() == http::status::ok);
  CHECK(metrics[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.body().empty());

  auto healthy = client.request(http::verb::head, "/-/healthy");
  CHECK(healthy.result() == http::status::ok);
  CHECK(healthy[http::field::content_length] == "3");
  CHECK(healthy.body().empty());

  CHECK(client.request(http::verb::head, "/nothing").result() == http::status::not_found);
  // Still in step: nothing of the bodies was sent.
  CHECK(client.request(http::verb::get, "/-/healthy").body() == "OK\n");
  server.stop_and_join();
  CHECK_FALSE(metrics_called);
}

TEST_CASE("keep-alive serves several requests on one connection", "[http]") {
  RunningServer server(numbered_routes(300 * 1024));
  const std::string expected = NumberedLines::whole(300 * 1024);
  Client client(server.endpoint());
  SECTION("one after another") {
    CHECK(client.request(http::verb::get, "/metrics").body() == expected);
    CHECK(client.request(http::verb::get, "/-/healthy").body() == "OK\n");
    auto gzipped =
        client.request(http::verb::get, "/metrics", 11, {{http::field::accept_encoding, "gzip"}});
    CHECK(gunzip(gzipped.body()) == expected);
  }
  SECTION("pipelined") {
    client.send_raw(
        "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(client.receive().body() == expected);
    CHECK(client.receive().body() == "OK\n");
    auto last = client.receive();
    CHECK(last.result() == http::status::not_found);
    CHECK_FALSE(last.keep_alive());
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("malformed or oversized requests are refused and the connection closed", "[http]") {
  struct Row {
    std::string name;
    std::string request;
    http::status status;
  };
  const std::vector<Row> table = {
      {"not HTTP", "HELLO THERE\r\n\r\n", http::status::bad_request},
      {"bad version", "GET / HTTP/x.y\r\n\r\n", http::status::bad_request},
      {"header block over 8 KiB",
       "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(9000, 'a') + "\r\n\r\n",
       http::status::request_header_fields_too_large},
      {"body over 1 KiB",
       "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, 'b'),
       http::status::payload_too_large},
      // RFC 9112 section 6.1: a transfer coding other than chunked last cannot be framed.
      {"Transfer-Encoding: xchunked", "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
       http::status::bad_request},
      {"Transfer-Encoding: chunked, identity",
       "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
       http::status::bad_request},
      {"Transfer-Encoding: gzip", "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
       http::status::bad_request},
      // RFC 9112 section 3.2: an HTTP/1.1 request names exactly one Host.
      {"HTTP/1.1 without Host", "GET /metrics HTTP/1.1\r\n\r\n", http::status::bad_request},
      {"two Host fields", "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", http::status::bad_request},
  };
  RunningServer server(numbered_routes(1000));
  for (const auto& row : table) {
    INFO(row.name);
    Client client(server.endpoint());
    client.send_raw(row.request);
    auto response = client.receive();
    CHECK(response.result() == row.status);
    CHECK_FALSE(response.keep_alive());
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("a connection without a complete request is closed after the idle timeout", "[http]") {
  HttpServerLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(100);
  RunningServer server(numbered_routes(1000), limits);
  SECTION("silent") {
    Client client(server.endpoint());
    CHECK(client.closed_by_server());
  }
  SECTION("half a request") {
    Client client(server.endpoint());
    client.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    CHECK(client.closed_by_server());
  }
  SECTION("idle after a response") {
    Client client(server.endpoint());
    CHECK(client.request(http::verb::get, "/-/healthy").result() == http::status::ok);
    CHECK(client.closed_by_server());
  }
}

namespace {

// Routes whose metrics page is endless while `endless` is set, for clients that read it slowly,
// and 1000 bytes otherwise.
HttpRoutes slow_or_small_routes(const std::atomic<bool>& endless) {
  HttpRoutes routes = numbered_routes(1000);
  routes.metrics = [&endless] {
    return std::make_unique<NumberedLines>(endless ? SIZE_MAX : 1000, kPieceBytes);
  };
  return routes;
}

}  // namespace

TEST_CASE("at the cap, a new connection takes the place of the one idle longest", "[http]") {
  HttpServerLimits limits;
  limits.max_connections = 4;
  // Longer than the test: no one times out, and the slow reader and the half request stay busy.
  limits.idle_timeout = limits.request_timeout = limits.slow_after = std::chrono::seconds(60);
  std::atomic<bool> endless{true};
  RunningServer server(slow_or_small_routes(endless), limits);
  const std::string small_page = NumberedLines::whole(1000);

  Client slow(server.endpoint());
  slow.start_slow_read();
  endless = false;
  Client partial(server.endpoint());
  partial.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  Client silent(server.endpoint());
  Client talked(server.endpoint());
  // A response proves the others were accepted (and the partial request read) before it, and
  // leaves this connection idle since.
  REQUIRE(talked.request(http::verb::get, "/-/healthy").result() == http::status::ok);

  // At the cap: two busy, one idle since it connected, one idle since its response.
  const auto began = std::chrono::steady_clock::now();
  Client first(server.endpoint());
  CHECK(first.request(http::verb::get, "/metrics").body() == small_page);
  CHECK(silent.closed_by_server());
  Client second(server.endpoint());
  CHECK(second.request(http::verb::get, "/metrics").body() == small_page);
  CHECK(talked.closed_by_server());
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(10));

  // The busy ones were left alone.
  CHECK(slow.still_receives(1024 * 1024));
  partial.send_raw("\r\n");
  CHECK(partial.receive().body() == small_page);
}

TEST_CASE("at the cap, with every connection busy, a new one is closed at once", "[http]") {
  HttpServerLimits limits;
  limits.max_connections = 3;
  limits.idle_timeout = limits.request_timeout = limits.slow_after = std::chrono::seconds(60);
  std::atomic<bool> endless{false};
  RunningServer server(slow_or_small_routes(endless), limits);

  Client partial(server.endpoint());
  partial.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  endless = true;
  Client slow(server.endpoint());
  slow.start_slow_read();
  Client slower(server.endpoint());
  slower.start_slow_read();
  endless = false;

  Client refused(server.endpoint());
  CHECK(refused.closed_by_server());
  CHECK(slow.still_receives(1024 * 1024));
  CHECK(slower.still_receives(1024 * 1024));
  partial.send_raw("\r\n");
  CHECK(partial.receive().body() == NumberedLines::whole(1000));
}

namespace {

using wgevents::test::closed_within;
bool closed_within(Client& client, std::chrono::milliseconds wait) {
  return closed_within(client.socket().native_handle(), wait);
}

// Sends without raising SIGPIPE; false once the server has closed.
bool send_quietly(Client& client, const std::string& bytes) {
  return ::send(client.socket().native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

// The status of a GET on a new connection, or 0 when the connection was closed without one.
unsigned status_of_get(const tcp::endpoint& server, const std::string& target) {
  try {
    return static_cast<unsigned>(fetch(server, http::verb::get, target).result_int());
  } catch (const boost::system::system_error&) {
    return 0;
  }
}

// A connection from `source` (another loopback address) that says nothing.
tcp::socket connect_from(asio::io_context& io, const char* source, const tcp::endpoint& server) {
  tcp::socket socket(io);
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  socket.connect(server);
  return socket;
}

}  // namespace

TEST_CASE("a request must arrive whole within the request timeout of its first bytes", "[http]") {
  HttpServerLimits limits;
  limits.idle_timeout = std::chrono::seconds(60);
  limits.request_timeout = std::chrono::milliseconds(300);
  RunningServer server(numbered_routes(1000), limits);
  SECTION("slowloris: a header line every 50 ms, never the end") {
    Client client(server.endpoint());
    client.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
      send_quietly(client, "X-" + std::to_string(i) + ": y\r\n");
      closed = closed_within(client, std::chrono::milliseconds(50));
    }
    CHECK(closed);
  }
  SECTION("a keep-alive connection may wait longer between requests") {
    Client client(server.endpoint());
    CHECK(client.request(http::verb::get, "/-/healthy").result() == http::status::ok);
    CHECK_FALSE(closed_within(client, std::chrono::milliseconds(600)));
    CHECK(client.request(http::verb::get, "/-/healthy").result() == http::status::ok);
  }
}

TEST_CASE("at the cap, slow clients give way to other hosts, one served that keeps up never does", "[http]") {
  // An endless page that counts how many of it are open: a connection's page goes with it.
  struct CountedEndless : ChunkSource {
    explicit CountedEndless(std::atomic<int>& open) : open(open) { ++open; }
    ~CountedEndless() override { --open; }
    bool next(std::string& out) override {
      out.assign(kPieceBytes, 'x');
      return true;
    }
    std::atomic<int>& open;
  };
  std::atomic<int> open_pages{0};
  HttpRoutes routes = numbered_routes(1000);
  routes.metrics = [&open_pages] { return std::make_unique<CountedEndless>(open_pages); };
  HttpServerLimits limits;
  limits.max_connections = 4;
  limits.idle_timeout = limits.request_timeout = std::chrono::seconds(60);
  limits.slow_after = std::chrono::milliseconds(200);
  RunningServer server(std::move(routes), limits);
  const auto wait_for_pages = [&open_pages](int count) {
    for (int i = 0; i < 250 && open_pages != count; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return open_pages == count;
  };

  // From 127.0.0.1: a reader that reads its page as fast as it comes, ...
  Client reader(server.endpoint());
  reader.start_slow_read();
  std::atomic<bool> stop_reading{false};
  std::atomic<std::size_t> read_bytes{0};
  std::thread reading([&] {
    char buffer[65536];
    while (!stop_reading) {
      beast::error_code ec;
      read_bytes += reader.socket().read_some(asio::buffer(buffer), ec);
      if (ec) break;
    }
  });
  Client not_reading(server.endpoint());  // ... one that takes none of its page, ...
  not_reading.start_slow_read();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Client trickling(server.endpoint());  // ... one with half a request, never the rest, ...
  trickling.send_raw("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  Client between(server.endpoint());  // ... and one answered, then idle.
  REQUIRE(between.request(http::verb::get, "/-/healthy").result() == http::status::ok);
  REQUIRE(open_pages == 2);
  // Long enough for the page not taken and the half request to count as slow.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  // Newcomers from 127.0.0.2 that ask for the page and do not read it either: between requests
  // goes first, then the slow ones, the oldest first.
  Client first(server.endpoint(), "127.0.0.2");
  first.start_slow_read();
  CHECK(closed_within(between, std::chrono::seconds(5)));
  CHECK(open_pages == 3);
  Client second(server.endpoint(), "127.0.0.2");
  second.start_slow_read();
  CHECK(wait_for_pages(3));  // the page nobody read went with its connection
  CHECK_FALSE(closed_within(trickling, std::chrono::milliseconds(0)));
  // Two connections each now: a slow one gives way only to a newcomer from an address that
  // holds fewer, so this one is refused.
  Client third(server.endpoint());
  CHECK(closed_within(third, std::chrono::seconds(5)));
  CHECK_FALSE(closed_within(trickling, std::chrono::milliseconds(0)));

  // The reader kept its place, and its page kept coming.
  const std::size_t before = read_bytes;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(read_bytes > before);
  stop_reading = true;
  ::shutdown(reader.socket().native_handle(), SHUT_RDWR);  // wakes the blocked read
  reading.join();
}

TEST_CASE("at the cap, the address holding the most connections gives way first", "[http]") {
  HttpServerLimits limits;
  limits.max_connections = 3;
  limits.idle_timeout = limits.request_timeout = std::chrono::seconds(60);
  RunningServer server(numbered_routes(1000), limits);
  // Three silent connections: the oldest from 127.0.0.1, two from 127.0.0.2.
  Client mine(server.endpoint());
  asio::io_context io;
  tcp::socket theirs_first = connect_from(io, "127.0.0.2", server.endpoint());
  tcp::socket theirs_second = connect_from(io, "127.0.0.2", server.endpoint());
  CHECK(status_of_get(server.endpoint(), "/-/healthy") == 200);
  CHECK(closed_within(theirs_first.native_handle(), std::chrono::seconds(5)));
  CHECK_FALSE(closed_within(mine, std::chrono::milliseconds(0)));
  CHECK(mine.request(http::verb::get, "/-/healthy").result() == http::status::ok);
}

TEST_CASE("a failing page source cuts that response off and the server carries on", "[http]") {
  struct FailingSource : ChunkSource {
    bool next(std::string& out) override {
      if (++pieces == 3) throw std::runtime_error("snapshot failed");
      out.assign(1000, 'x');
      return true;
    }
    int pieces = 0;
  };
  HttpRoutes routes = numbered_routes(1000);
  std::atomic<bool> fail_in_factory{false};
  routes.metrics = [&fail_in_factory]() -> std::unique_ptr<ChunkSource> {
    if (fail_in_factory) throw std::runtime_error("no registry");
    return std::make_unique<FailingSource>();
  };
  RunningServer server(std::move(routes));

  SECTION("mid-page: the body is truncated, never ended cleanly") {
    Client client(server.endpoint());
    client.send(http::verb::get, "/metrics");
    std::string body;
    CHECK(client.receive_until_error(body));
    CHECK(body.size() <= 2000);
  }
  SECTION("before the page: 500") {
    fail_in_factory = true;
    auto response = fetch(server.endpoint(), http::verb::get, "/metrics");
    CHECK(response.result() == http::status::internal_server_error);
  }
  CHECK(fetch(server.endpoint(), http::verb::get, "/-/healthy").result() == http::status::ok);
}

TEST_CASE("stop() ends a response to a client that stopped reading, and run() returns", "[http]") {
  // An endless page: the server fills the socket buffers and waits for the client.
  struct EndlessSource : ChunkSource {
    explicit EndlessSource(std::atomic<bool>& destroyed) : destroyed(destroyed) {}
    ~EndlessSource() override { destroyed = true; }
    bool next(std::string& out) override {
      out.assign(kPieceBytes, 'x');
      return true;
    }
    std::atomic<bool>& destroyed;
  };
  std::atomic<bool> destroyed{false};
  HttpRoutes routes = numbered_routes();
  routes.metrics = [&destroyed] { return std::make_unique<EndlessSource>(destroyed); };
  RunningServer server(std::move(routes));

  Client slow(server.endpoint());
  slow.send(http::verb::get, "/metrics");
  http::response_parser<http::string_body> parser;
  beast::flat_buffer buffer;
  http::read_header(slow.socket(), buffer, parser);  // the response has begun
  Client idle(server.endpoint());

  server.stop_and_join();  // returns only once run() has returned
  CHECK(destroyed);
  CHECK(slow.closed_by_server());
  CHECK(idle.closed_by_server());
}

TEST_CASE("the server reports its address and refuses an address in use", "[http]") {
  asio::io_context io;
  HttpServer first(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0), numbered_routes());
  CHECK(first.local_endpoint().port() == 0);  // nothing is bound before start()
  REQUIRE_FALSE(first.start());
  CHECK(first.local_endpoint().port() != 0);
  CHECK(first.local_endpoint().address() == asio::ip::address_v4::loopback());
  HttpServer second(io, first.local_endpoint(), numbered_routes());
  CHECK(second.start() == asio::error::address_in_use);
  CHECK(second.local_endpoint().port() == 0);
}

TEST_CASE("routes are checked at construction", "[http]") {
  asio::io_context io;
  const tcp::endpoint any_port(asio::ip::address_v4::loopback(), 0);
  HttpRoutes no_metrics = numbered_routes();
  no_metrics.metrics = nullptr;
  CHECK_THROWS_AS(HttpServer(io, any_port, no_metrics), std::invalid_argument);
  HttpRoutes no_ready = numbered_routes();
  no_ready.ready = nullptr;
  CHECK_THROWS_AS(HttpServer(io, any_port, no_ready), std::invalid_argument);
  HttpRoutes relative_path = numbered_routes();
  relative_path.telemetry_path = "metrics";
  CHECK_THROWS_AS(HttpServer(io, any_port, relative_path), std::invalid_argument);
}
