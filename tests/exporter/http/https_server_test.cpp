// The HTTP server under a --web.config.file: real TLS handshakes with certificates made for the
// test, basic authentication against bcrypt hashes, and reloading. The server runs on its own
// io_context thread; the tests talk to it with blocking Beast clients.
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20.

// With -fsanitize=address, GCC 12 reports a false -Wmaybe-uninitialized on the boost::optional that
// Beast's response parser (used only by this test's client) returns for Content-Length.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <crypt.h>
#include <poll.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "http_test_support.h"
#include "test_pki.h"
#include "wgevents/http/server.h"
#include "wgevents/http/web_config.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using wgevents::HttpRoutes;
using wgevents::HttpServer;
using wgevents::HttpServerLimits;
using wgevents::WebConfig;
using wgevents::test::closed_within;
using wgevents::test::gunzip;
using wgevents::test::NumberedLines;
using wgevents::test::read_until_closed;
using wgevents::test::RunningServer;
using wgevents::test::TempDir;
using wgevents::test::TestPki;
using wgevents::test::write_text;
using Fields = std::vector<std::pair<http::field, std::string>>;
using Response = http::response<http::string_body>;

const fs::path kDataDir = WGEVENTS_HTTP_TEST_DATA_DIR "/web_config";

constexpr std::size_t kSmallPage = 1000;

HttpRoutes routes(std::size_t page_bytes = kSmallPage) {
  HttpRoutes routes;
  routes.metrics = [page_bytes] { return std::make_unique<NumberedLines>(page_bytes); };
  routes.ready = [] { return true; };
  routes.landing_page = [] { return std::string("<html></html>"); };
  return routes;
}

std::string bcrypt_hash(const std::string& password, unsigned long cost = 4) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", cost, nullptr, 0, setting, sizeof setting) != nullptr);
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), setting, &data);
  REQUIRE(hash != nullptr);
  REQUIRE(hash[0] == '$');
  return hash;
}

std::string basic(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(plain.data()),
                                     static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return "Basic " + encoded;
}

Fields auth(const std::string& user, const std::string& password) {
  return {{http::field::authorization, basic(user, password)}};
}

// A temporary directory holding the test certificates and the web configuration file.
class Setup {
 public:
  Setup() : pki_(dir_.path()) {}
  fs::path file(const std::string& name) const { return dir_.path() / name; }
  // Writes web.yml and loads it; the test fails if it does not load.
  std::shared_ptr<const WebConfig> config(const std::string& yaml) {
    write_config(yaml);
    auto loaded = wgevents::load_web_config(file("web.yml"));
    INFO(loaded.error);
    REQUIRE(loaded.config);
    return loaded.config;
  }
  void write_config(const std::string& yaml) { write_text(file("web.yml"), yaml); }

 private:
  TempDir dir_;
  TestPki pki_;
};

const std::string kTls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

std::string users(const std::vector<std::pair<std::string, std::string>>& user_passwords) {
  std::string yaml = "basic_auth_users:\n";
  for (const auto& [user, password] : user_passwords)
    yaml += "  " + user + ": " + bcrypt_hash(password) + "\n";
  return yaml;
}

struct TlsClientOptions {
  fs::path trusted_ca;                  // the CA the client checks the server's certificate with
  std::optional<fs::path> certificate;  // with `key`: the client's certificate
  std::optional<fs::path> key;
  int max_version = 0;  // e.g. TLS1_2_VERSION; 0: OpenSSL's default
  std::string tls12_ciphers;  // OpenSSL's names; empty: OpenSSL's default
  std::string groups;         // key exchange groups, OpenSSL's names; empty: OpenSSL's default
};

TlsClientOptions trusting(const fs::path& ca) {
  TlsClientOptions options;
  options.trusted_ca = ca;
  return options;
}

// A blocking TLS client on one connection; the constructor connects and completes the handshake
// (throws boost::system::system_error if it fails), checking that the server's certificate is
// valid for 127.0.0.1.
class TlsClient {
 public:
  TlsClient(const tcp::endpoint& server, const TlsClientOptions& options)
      : context_(ssl::context::tls_client), stream_(io_, make_context(context_, options)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream_.native_handle()), "127.0.0.1");
    stream_.next_layer().connect(server);
    stream_.handshake(ssl::stream_base::client);
  }

  Response request(http::verb method, const std::string& target, const Fields& fields = {},
                   unsigned version = 11) {
    http::request<http::string_body> request(method, target, version);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : fields) request.set(name, value);
    http::write(stream_, request);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(method == http::verb::head);
    http::read(stream_, buffer_, parser);
    return parser.release();
  }

  // After the server said it closes: true if it ended the TLS session cleanly (close_notify),
  // which is what tells a page that ends at the close from a cut-off one.
  bool closed_cleanly_by_server() { return read_until_closed(stream_) == asio::error::eof; }

  // True once the server has closed the connection, cleanly or not.
  bool closed_by_server() {
    const beast::error_code ec = read_until_closed(stream_);
    return ec == asio::error::eof || ec == ssl::error::stream_truncated ||
           ec == asio::error::connection_reset;
  }

 private:
  static ssl::context& make_context(ssl::context& context, const TlsClientOptions& options) {
    context.load_verify_file(options.trusted_ca.string());
    context.set_verify_mode(ssl::verify_peer);
    if (options.certificate) {
      context.use_certificate_chain_file(options.certificate->string());
      context.use_private_key_file(options.key->string(), ssl::context::pem);
    }
    if (options.max_version != 0)
      SSL_CTX_set_max_proto_version(context.native_handle(), options.max_version);
    if (!options.tls12_ciphers.empty())
      REQUIRE(SSL_CTX_set_cipher_list(context.native_handle(), options.tls12_ciphers.c_str()) == 1);
    if (!options.groups.empty())
      REQUIRE(SSL_CTX_set1_groups_list(context.native_handle(), options.groups.c_str()) == 1);
    return context;
  }

  asio::io_context io_;
  ssl::context context_;
  ssl::stream<tcp::socket> stream_;
  beast::flat_buffer buffer_;
};

// The response to one GET, or nothing when the handshake or the exchange failed, as it does when
// the server refuses the client's certificate (with TLS 1.3 the client hears of it only after its
// side of the handshake is done, when it reads).
std::optional<Response> try_get(const tcp::endpoint& server, const TlsClientOptions& options,
                                const std::string& target, const Fields& fields = {}) {
  try {
    TlsClient client(server, options);
    return client.request(http::verb::get, target, fields);
  } catch (const boost::system::system_error&) {
    return std::nullopt;
  }
}

// A plain-HTTP request on one connection.
Response plain_get(const tcp::endpoint& server, const std::string& target,
                   const Fields& fields = {}) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(server);
  http::request<http::string_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : fields) request.set(name, value);
  http::write(socket, request);
  beast::flat_buffer buffer;
  Response response;
  http::read(socket, buffer, response);
  return response;
}

}  // namespace

TEST_CASE("over TLS, only the right user and password get through, on every path", "[http][tls]") {
  Setup setup;
  RunningServer server(
      routes(), setup.config(kTls + users({{"prometheus", "scrape-pw"}, {"grafana", "other"}})));
  const TlsClientOptions trusted = trusting(setup.file("ca.crt"));

  struct Row {
    std::string target;
    Fields fields;
    http::status status;
  };
  const std::vector<Row> table = {
      {"/metrics", auth("prometheus", "scrape-pw"), http::status::ok},
      {"/metrics", auth("grafana", "other"), http::status::ok},
      {"/-/healthy", auth("prometheus", "scrape-pw"), http::status::ok},
      {"/nothing", auth("prometheus", "scrape-pw"),
       http::status::not_found},  // routed once allowed
      {"/metrics", auth("prometheus", "wrong"), http::status::unauthorized},
      {"/metrics", auth("prometheus", "other"),
       http::status::unauthorized},  // another user's password
      {"/metrics", auth("nobody", "scrape-pw"), http::status::unauthorized},  // unknown user
      {"/metrics", auth("prometheus", ""), http::status::unauthorized},
      {"/metrics", {}, http::status::unauthorized},  // no credentials
      {"/metrics", {{http::field::authorization, "Bearer abc"}}, http::status::unauthorized},
      {"/metrics", {{http::field::authorization, "Basic !!!"}}, http::status::unauthorized},
      {"/-/healthy", {}, http::status::unauthorized},  // every path, as in the exporter toolkit
      {"/-/ready", {}, http::status::unauthorized},
      {"/", {}, http::status::unauthorized},
      {"/nothing", {}, http::status::unauthorized},
  };
  for (const auto& row : table) {
    INFO(row.target << " " << (row.fields.empty() ? "(no Authorization)" : row.fields[0].second));
    const auto response = try_get(server.endpoint(), trusted, row.target, row.fields);
    REQUIRE(response);
    CHECK(response->result() == row.status);
    if (row.status == http::status::unauthorized) {
      CHECK((*response)[http::field::www_authenticate] == "Basic");
      CHECK(response->body() == "Unauthorized\n");
    }
    if (row.target == "/metrics" && row.status == http::status::ok) {
      CHECK(response->body() == NumberedLines::whole(kSmallPage));
    }
  }

  SECTION(
      "a refused request leaves the connection usable, and a known password is not checked again") {
    TlsClient client(server.endpoint(), trusted);
    CHECK(client.request(http::verb::get, "/metrics").result() == http::status::unauthorized);
    CHECK(client.request(http::verb::get, "/metrics", auth("prometheus", "scrape-pw")).result() ==
          http::status::ok);
    CHECK(client.request(http::verb::head, "/metrics", auth("prometheus", "nope")).result() ==
          http::status::unauthorized);
    CHECK(client.request(http::verb::get, "/metrics", auth("prometheus", "scrape-pw")).result() ==
          http::status::ok);
  }
}

TEST_CASE("a large page over TLS arrives whole: chunked, gzip, and HTTP/1.0 up to close_notify",
          "[http][tls]") {
  constexpr std::size_t kPage = 5 * 1024 * 1024;
  const std::string expected = NumberedLines::whole(kPage);
  Setup setup;
  RunningServer server(routes(kPage), setup.config(kTls));
  TlsClient client(server.endpoint(), trusting(setup.file("ca.crt")));

  auto plain = client.request(http::verb::get, "/metrics");
  CHECK(plain.chunked());
  CHECK(plain.body() == expected);
  auto gzipped =
      client.request(http::verb::get, "/metrics", {{http::field::accept_encoding, "gzip"}});
  CHECK(gzipped[http::field::content_encoding] == "gzip");
  CHECK(gunzip(gzipped.body()) == expected);

  TlsClient old_client(server.endpoint(), trusting(setup.file("ca.crt")));
  auto raw = old_client.request(http::verb::get, "/metrics", {}, 10);
  CHECK_FALSE(raw.chunked());
  CHECK(raw.body() == expected);  // read to the end of the stream, which must be a clean one
  CHECK(old_client.closed_cleanly_by_server());
}

TEST_CASE("at the cap, a new TLS connection takes the place of the one idle longest",
          "[http][tls]") {
  Setup setup;
  HttpServerLimits limits;
  limits.max_connections = 2;
  limits.idle_timeout = std::chrono::seconds(60);  // longer than the test: no one times out
  RunningServer server(routes(), setup.config(kTls), limits);
  const TlsClientOptions trusted = trusting(setup.file("ca.crt"));
  const std::string page = NumberedLines::whole(kSmallPage);

  asio::io_context io;
  tcp::socket silent(io);  // never begins its handshake
  silent.connect(server.endpoint());
  TlsClient talked(server.endpoint(), trusted);
  REQUIRE(talked.request(http::verb::get, "/-/healthy").result() == http::status::ok);

  const auto began = std::chrono::steady_clock::now();
  TlsClient first(server.endpoint(), trusted);
  CHECK(first.request(http::verb::get, "/metrics").body() == page);
  const beast::error_code ec = read_until_closed(silent);
  CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
  TlsClient second(server.endpoint(), trusted);
  CHECK(second.request(http::verb::get, "/metrics").body() == page);
  CHECK(talked.closed_by_server());
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(10));
}

TEST_CASE("plain HTTP on the TLS port gets no HTTP answer, and the connection is closed",
          "[http][tls]") {
  Setup setup;
  RunningServer server(routes(), setup.config(kTls));
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(server.endpoint());
  asio::write(socket,
              asio::buffer(std::string("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  std::string received;
  beast::error_code ec;
  while (!ec) {
    char chunk[4096];
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    received.append(chunk, n);
  }
  CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
  CHECK(received.find("HTTP/") == std::string::npos);  // at most a TLS alert
  // The server is still there for TLS clients.
  const auto response = try_get(server.endpoint(), trusting(setup.file("ca.crt")), "/-/healthy");
  REQUIRE(response);
  CHECK(response->result() == http::status::ok);
}

TEST_CASE("with client_ca_file, only clients with a certificate from that CA get in",
          "[http][tls]") {
  Setup setup;
  RunningServer server(routes(),
                       setup.config(kTls + "  client_auth_type: RequireAndVerifyClientCert\n"
                                           "  client_ca_file: ca.crt\n"));
  struct Row {
    std::string name;
    std::optional<std::string> certificate;  // base name of .crt and .key
    int max_version;
    bool allowed;
  };
  const std::vector<Row> table = {
      {"signed by the CA", "client", 0, true},
      {"signed by the CA, TLS 1.2", "client", TLS1_2_VERSION, true},
      {"no certificate", std::nullopt, 0, false},
      {"no certificate, TLS 1.2: the handshake itself fails", std::nullopt, TLS1_2_VERSION, false},
      {"signed by another CA", "other_client", 0, false},
      {"the server's own certificate, not for clients", "server", 0, false},
  };
  for (const auto& row : table) {
    INFO(row.name);
    TlsClientOptions options = trusting(setup.file("ca.crt"));
    options.max_version = row.max_version;
    if (row.certificate) {
      options.certificate = setup.file(*row.certificate + ".crt");
      options.key = setup.file(*row.certificate + ".key");
    }
    if (row.max_version == TLS1_2_VERSION && !row.allowed) {
      CHECK_THROWS_AS(TlsClient(server.endpoint(), options), boost::system::system_error);
    }
    const auto response = try_get(server.endpoint(), options, "/metrics");
    CHECK(response.has_value() == row.allowed);
    if (response) CHECK(response->result() == http::status::ok);
  }
}

TEST_CASE("every client_auth_type of the exporter toolkit, with no certificate, one from the CA "
          "and one from another CA",
          "[http][tls]") {
  // What Go's crypto/tls does for each policy (the exporter toolkit passes them through).
  struct Row {
    std::string client_auth_type;
    bool without_certificate;
    bool with_ca_certificate;
    bool with_other_ca_certificate;
  };
  const std::vector<Row> table = {
      {"NoClientCert", true, true, true},
      {"RequestClientCert", true, true, true},
      {"RequireAnyClientCert", false, true, true},
      {"VerifyClientCertIfGiven", true, true, false},
      {"RequireAndVerifyClientCert", false, true, false},
  };
  for (const auto& row : table) {
    Setup setup;
    const std::string ca = row.client_auth_type == "NoClientCert" ? "" : "  client_ca_file: ca.crt\n";
    RunningServer server(routes(), setup.config(kTls + "  client_auth_type: " +
                                                row.client_auth_type + "\n" + ca));
    const std::vector<std::pair<std::optional<std::string>, bool>> clients = {
        {std::nullopt, row.without_certificate},
        {"client", row.with_ca_certificate},
        {"other_client", row.with_other_ca_certificate},
    };
    for (const auto& [certificate, allowed] : clients) {
      INFO(row.client_auth_type << ", client certificate: " << certificate.value_or("none"));
      TlsClientOptions options = trusting(setup.file("ca.crt"));
      if (certificate) {
        options.certificate = setup.file(*certificate + ".crt");
        options.key = setup.file(*certificate + ".key");
      }
      const auto response = try_get(server.endpoint(), options, "/metrics");
      CHECK(response.has_value() == allowed);
      if (response) CHECK(response->result() == http::status::ok);
    }
  }
}

TEST_CASE("min_version refuses older clients", "[http][tls]") {
  Setup setup;
  RunningServer server(routes(), setup.config(kTls + "  min_version: TLS13\n"));
  TlsClientOptions tls12 = trusting(setup.file("ca.crt"));
  tls12.max_version = TLS1_2_VERSION;
  CHECK_THROWS_AS(TlsClient(server.endpoint(), tls12), boost::system::system_error);
  const auto response = try_get(server.endpoint(), trusting(setup.file("ca.crt")), "/metrics");
  REQUIRE(response);
  CHECK(response->result() == http::status::ok);
}

TEST_CASE("TLS 1.2 offers only ECDHE with AEAD ciphers unless cipher_suites says otherwise",
          "[http][tls]") {
  Setup setup;
  auto tls12_with = [&](const std::string& ciphers) {
    TlsClientOptions options = trusting(setup.file("ca.crt"));
    options.max_version = TLS1_2_VERSION;
    options.tls12_ciphers = ciphers;
    return options;
  };
  {
    RunningServer server(routes(), setup.config(kTls));
    // The test certificates have P-256 keys, so every suite here signs with ECDSA.
    for (const char* cbc : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256",
                            "ECDHE-ECDSA-AES256-SHA384"}) {
      INFO(cbc);
      CHECK_FALSE(try_get(server.endpoint(), tls12_with(cbc), "/metrics"));
    }
    for (const char* aead : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                             "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
      INFO(aead);
      const auto response = try_get(server.endpoint(), tls12_with(aead), "/metrics");
      REQUIRE(response);
      CHECK(response->result() == http::status::ok);
    }
  }
  // A list in the file is taken as written.
  RunningServer server(routes(), setup.config(kTls + "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA]\n"));
  CHECK(try_get(server.endpoint(), tls12_with("ECDHE-ECDSA-AES128-SHA"), "/metrics"));
  CHECK_FALSE(try_get(server.endpoint(), tls12_with("ECDHE-ECDSA-AES128-GCM-SHA256"), "/metrics"));
}

TEST_CASE("curve_preferences limits the key exchange to the groups it lists", "[http][tls]") {
  Setup setup;
  auto offering = [&](const std::string& groups) {
    TlsClientOptions options = trusting(setup.file("ca.crt"));
    options.groups = groups;
    return options;
  };
  {
    // Without a list, X25519 (what most clients offer first) is taken.
    RunningServer server(routes(), setup.config(kTls));
    CHECK(try_get(server.endpoint(), offering("X25519"), "/metrics"));
  }
  RunningServer server(routes(), setup.config(kTls + "  curve_preferences: [CurveP384]\n"));
  const auto response = try_get(server.endpoint(), offering("P-384"), "/metrics");
  REQUIRE(response);
  CHECK(response->result() == http::status::ok);
  CHECK_FALSE(try_get(server.endpoint(), offering("X25519:P-256"), "/metrics"));
}

TEST_CASE("basic authentication works without TLS too", "[http][auth]") {
  Setup setup;
  RunningServer server(routes(), setup.config(users({{"prometheus", "scrape-pw"}})));
  CHECK(plain_get(server.endpoint(), "/metrics", auth("prometheus", "scrape-pw")).result() ==
        http::status::ok);
  CHECK(plain_get(server.endpoint(), "/metrics", auth("prometheus", "nope")).result() ==
        http::status::unauthorized);
  CHECK(plain_get(server.endpoint(), "/-/healthy").result() == http::status::unauthorized);
}

TEST_CASE("hashes made by the exporter toolkit's bcrypt are accepted over the wire",
          "[http][auth]") {
  Setup setup;
  fs::copy_file(kDataDir / "exporter_toolkit_users.yml", setup.file("web.yml"));
  auto loaded = wgevents::load_web_config(setup.file("web.yml"));
  REQUIRE(loaded.config);
  RunningServer server(routes(), loaded.config);
  CHECK(plain_get(server.endpoint(), "/metrics", auth("alice", "alice123")).result() ==
        http::status::ok);
  CHECK(plain_get(server.endpoint(), "/metrics", auth("carol", "carol123")).result() ==
        http::status::ok);
  CHECK(plain_get(server.endpoint(), "/metrics", auth("alice", "alice1234")).result() ==
        http::status::unauthorized);
}

TEST_CASE("headers from http_server_config are on every response", "[http][tls]") {
  Setup setup;
  RunningServer server(routes(), setup.config(kTls + users({{"prometheus", "pw"}}) +
                                              "http_server_config:\n  headers:\n"
                                              "    X-Frame-Options: deny\n"
                                              "    Strict-Transport-Security: max-age=31536000\n"));
  const TlsClientOptions trusted = trusting(setup.file("ca.crt"));
  for (const auto& fields : {auth("prometheus", "pw"), Fields{}}) {
    const auto response = try_get(server.endpoint(), trusted, "/metrics", fields);
    REQUIRE(response);
    CHECK((*response)[http::field::x_frame_options] == "deny");
    CHECK((*response)[http::field::strict_transport_security] == "max-age=31536000");
  }
}

TEST_CASE("reload: a good file takes effect, a bad one changes nothing", "[http][tls][reload]") {
  Setup setup;
  RunningServer server(routes(), setup.config(kTls + users({{"prometheus", "old-pw"}})));
  const TlsClientOptions trusted = trusting(setup.file("ca.crt"));
  TlsClient open_connection(server.endpoint(), trusted);
  CHECK(
      open_connection.request(http::verb::get, "/metrics", auth("prometheus", "old-pw")).result() ==
      http::status::ok);

  SECTION("a new password: every request from now on, even on an open connection") {
    setup.write_config(kTls + users({{"prometheus", "new-pw"}}));
    CHECK(server.reload() == "");
    CHECK(open_connection.request(http::verb::get, "/metrics", auth("prometheus", "old-pw"))
              .result() == http::status::unauthorized);
    CHECK(open_connection.request(http::verb::get, "/metrics", auth("prometheus", "new-pw"))
              .result() == http::status::ok);
    CHECK(try_get(server.endpoint(), trusted, "/metrics", auth("prometheus", "new-pw"))->result() ==
          http::status::ok);
    CHECK(try_get(server.endpoint(), trusted, "/metrics", auth("prometheus", "old-pw"))->result() ==
          http::status::unauthorized);
  }
  SECTION("no users any more: refused, authentication stays") {
    setup.write_config(kTls);
    CHECK_THAT(server.reload(), Catch::Contains("no longer names basic_auth_users"));
    CHECK(try_get(server.endpoint(), trusted, "/metrics")->result() == http::status::unauthorized);
    CHECK(open_connection.request(http::verb::get, "/metrics", auth("prometheus", "old-pw")).result() ==
          http::status::ok);
  }
  SECTION("a directory in the file's place: refused, authentication stays") {
    fs::remove(setup.file("web.yml"));
    fs::create_directory(setup.file("web.yml"));
    CHECK(server.reload() != "");
    CHECK(try_get(server.endpoint(), trusted, "/metrics")->result() == http::status::unauthorized);
    CHECK(try_get(server.endpoint(), trusted, "/metrics", auth("prometheus", "old-pw"))->result() ==
          http::status::ok);
  }
  SECTION("bad files keep the old settings and say why") {
    struct Row {
      std::string yaml;
      std::string message;
    };
    const std::vector<Row> table = {
        {"tls_server_config: [", "invalid YAML"},
        {kTls + "basic_auth_users:\n  prometheus: new-pw\n", "not a bcrypt hash"},
        {"tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n", "cannot read"},
        {users({{"prometheus", "new-pw"}}),
         "the file no longer configures TLS; turning TLS on or off needs a restart"},
    };
    for (const auto& row : table) {
      INFO(row.yaml);
      setup.write_config(row.yaml);
      const std::string error = server.reload();
      CHECK_THAT(error, Catch::StartsWith(setup.file("web.yml").string() + ": "));
      CHECK_THAT(error, Catch::Contains(row.message));
      CHECK(error.find('\n') == std::string::npos);
      CHECK(
          try_get(server.endpoint(), trusted, "/metrics", auth("prometheus", "old-pw"))->result() ==
          http::status::ok);
      CHECK(
          try_get(server.endpoint(), trusted, "/metrics", auth("prometheus", "new-pw"))->result() ==
          http::status::unauthorized);
    }
  }
  SECTION("a new certificate: new connections get it, open ones keep their session") {
    setup.write_config(
        "tls_server_config:\n  cert_file: other_server.crt\n  key_file: other_server.key\n" +
        users({{"prometheus", "old-pw"}}));
    CHECK(server.reload() == "");
    CHECK_FALSE(try_get(server.endpoint(), trusted, "/metrics", auth("prometheus", "old-pw")));
    const auto renewed = try_get(server.endpoint(), trusting(setup.file("other_ca.crt")),
                                 "/metrics", auth("prometheus", "old-pw"));
    REQUIRE(renewed);
    CHECK(renewed->result() == http::status::ok);
    CHECK(open_connection.request(http::verb::get, "/metrics", auth("prometheus", "old-pw"))
              .result() == http::status::ok);
  }
}

TEST_CASE("reload without a web configuration does nothing", "[http][reload]") {
  asio::io_context io;
  HttpServer server(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0), routes());
  CHECK(server.web_config() == nullptr);
  CHECK(server.reload_web_config() == "");
  CHECK(server.web_config() == nullptr);
}

TEST_CASE("stop() while a password is being checked still lets run() return", "[http][auth]") {
  Setup setup;
  fs::copy_file(kDataDir / "exporter_toolkit_users.yml", setup.file("web.yml"));
  auto loaded = wgevents::load_web_config(setup.file("web.yml"));
  REQUIRE(loaded.config);
  RunningServer server(routes(), loaded.config);
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(server.endpoint());
  http::request<http::string_body> request(http::verb::get, "/metrics", 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, basic("alice", "alice123"));  // cost 12: a while
  http::write(socket, request);
  server.stop_and_join();  // returns only once run() has returned
  beast::flat_buffer buffer;
  Response response;
  beast::error_code ec;
  http::read(socket, buffer, response, ec);
  // Either the answer made it out before the stop, or the connection was closed without one.
  CHECK((ec ? (ec == http::error::end_of_stream || ec == asio::error::eof ||
               ec == asio::error::connection_reset)
            : response.result() == http::status::ok));
}

namespace {

// The first bytes of a ClientHello, and no more: a handshake that stalls.
const std::string kHalfClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);

}  // namespace

TEST_CASE("a TLS handshake has a deadline of its own, shorter than the idle timeout", "[http][tls]") {
  Setup setup;
  HttpServerLimits limits;
  limits.idle_timeout = std::chrono::seconds(60);
  limits.handshake_timeout = std::chrono::milliseconds(200);
  RunningServer server(routes(), setup.config(kTls), limits);
  asio::io_context io;
  tcp::socket silent(io);
  silent.connect(server.endpoint());
  tcp::socket stalled(io);
  stalled.connect(server.endpoint());
  asio::write(stalled, asio::buffer(kHalfClientHello));
  CHECK(closed_within(silent.native_handle(), std::chrono::seconds(5)));
  CHECK(closed_within(stalled.native_handle(), std::chrono::seconds(5)));
  // A client that completes its handshake is not held to it.
  TlsClient client(server.endpoint(), trusting(setup.file("ca.crt")));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(client.request(http::verb::get, "/-/healthy").result() == http::status::ok);
}

TEST_CASE("stalled TLS handshakes hold half the slots at most and cost no certified client its place",
          "[http][tls]") {
  Setup setup;
  HttpServerLimits limits;
  limits.max_connections = 4;  // handshakes: 2
  limits.idle_timeout = limits.handshake_timeout = std::chrono::seconds(60);
  RunningServer server(routes(), setup.config(kTls + "  client_auth_type: RequireAndVerifyClientCert\n"
                                                     "  client_ca_file: ca.crt\n"),
                       limits);
  TlsClientOptions certified = trusting(setup.file("ca.crt"));
  certified.certificate = setup.file("client.crt");
  certified.key = setup.file("client.key");
  // Two clients with certificates, answered and now idle.
  TlsClient first(server.endpoint(), certified);
  REQUIRE(first.request(http::verb::get, "/-/healthy").result() == http::status::ok);
  TlsClient second(server.endpoint(), certified);
  REQUIRE(second.request(http::verb::get, "/-/healthy").result() == http::status::ok);
  // Three handshakes that stall: the third takes the place of the first (half the slots), though
  // the cap is not reached.
  asio::io_context io;
  std::vector<tcp::socket> stalled;
  for (int i = 0; i < 3; ++i) {
    stalled.emplace_back(io).connect(server.endpoint());
    asio::write(stalled.back(), asio::buffer(kHalfClientHello));
  }
  CHECK(closed_within(stalled[0].native_handle(), std::chrono::seconds(5)));
  CHECK_FALSE(closed_within(stalled[2].native_handle(), std::chrono::milliseconds(0)));
  // At the cap (two certified, two handshakes): a third client with a certificate gets in, in
  // place of a handshake; the certified ones keep theirs.
  TlsClient third(server.endpoint(), certified);
  CHECK(third.request(http::verb::get, "/metrics").body() == NumberedLines::whole(kSmallPage));
  CHECK(first.request(http::verb::get, "/-/healthy").result() == http::status::ok);
  CHECK(second.request(http::verb::get, "/-/healthy").result() == http::status::ok);
}

TEST_CASE("password checks wait in a bounded queue: a flood is answered 503 and closed", "[http][auth]") {
  Setup setup;
  // Cost 12: each check takes a while, so the queue fills.
  RunningServer server(routes(), setup.config("basic_auth_users:\n  prometheus: " + bcrypt_hash("pw", 12) + "\n"));
  asio::io_context io;
  std::vector<tcp::socket> flood;
  for (int i = 0; i < 16; ++i) {
    flood.emplace_back(io).connect(server.endpoint());
    http::request<http::string_body> request(http::verb::get, "/metrics", 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, basic("prometheus", "wrong" + std::to_string(i)));
    http::write(flood.back(), request);
  }
  int unauthorized = 0;
  int overloaded = 0;
  for (auto& socket : flood) {
    beast::flat_buffer buffer;
    Response response;
    http::read(socket, buffer, response);
    if (response.result() == http::status::unauthorized) ++unauthorized;
    if (response.result() == http::status::service_unavailable) {
      ++overloaded;
      CHECK_FALSE(response.keep_alive());
      CHECK(closed_within(socket.native_handle(), std::chrono::seconds(5)));
    }
  }
  // Eight waiting (and one running, unless the password thread had not yet taken it) when the
  // rest came.
  CHECK(overloaded >= 1);
  CHECK(unauthorized >= 8);
  CHECK(unauthorized + overloaded == 16);
}
