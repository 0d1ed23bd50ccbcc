// What the server answers, decided without sockets (request_handler.h): one row per request.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "request_handler.h"
#include "wgevents/http/web_config.h"

using namespace wgevents;

namespace {

class EmptyPage : public ChunkSource {
 public:
  bool next(std::string&) override { return false; }
};

HttpRoutes routes(bool ready) {
  HttpRoutes r;
  r.telemetry_path = "/metrics";
  r.metrics = [] { return std::make_unique<EmptyPage>(); };
  r.ready = [ready] { return ready; };
  r.landing_page = [] { return std::string("<html>landing</html>"); };
  return r;
}

struct Row {
  const char* what;  // what the row guards
  HttpRequestFacts request;
  bool ready;
  // The plan expected.
  ResponsePlan::Kind kind;
  unsigned status;
  bool head;
  bool keep_alive;
  bool gzip;
  const char* body;  // simple plans
};

using K = ResponsePlan::Kind;

HttpRequestFacts facts(std::string_view method, std::string_view target, std::string_view accept_encoding = "",
                       bool keep_alive = true, std::string_view authorization = "") {
  HttpRequestFacts f;
  f.method = method;
  f.target = target;
  f.accept_encoding = accept_encoding;
  f.keep_alive = keep_alive;
  f.authorization = authorization;
  return f;
}

// A GET of the metrics page with other framing facts (RFC 9112).
HttpRequestFacts framed(unsigned version, std::size_t host_fields, std::size_t transfer_encoding_fields = 0,
                        std::string_view transfer_encoding = "") {
  HttpRequestFacts f = facts("GET", "/metrics");
  f.version = version;
  f.host_fields = host_fields;
  f.transfer_encoding_fields = transfer_encoding_fields;
  f.transfer_encoding = transfer_encoding;
  return f;
}

const Row kRows[] = {
    // Routes.
    {"the metrics page", facts("GET", "/metrics"), true, K::metrics, 200, false, true, false, ""},
    {"the query string is ignored", facts("GET", "/metrics?name[]=x"), true, K::metrics, 200, false, true, false, ""},
    {"HEAD of the metrics page", facts("HEAD", "/metrics"), true, K::metrics, 200, true, true, false, ""},
    {"gzip when asked", facts("GET", "/metrics", "deflate, gzip;q=0.5"), true, K::metrics, 200, false, true, true, ""},
    {"no gzip at q=0", facts("GET", "/metrics", "gzip;q=0.000"), true, K::metrics, 200, false, true, false, ""},
    {"a bare * is not gzip", facts("GET", "/metrics", "*"), true, K::metrics, 200, false, true, false, ""},
    {"Connection: close is kept", facts("GET", "/metrics", "", false), true, K::metrics, 200, false, false, false, ""},
    {"the landing page", facts("GET", "/"), true, K::simple, 200, false, true, false, "<html>landing</html>"},
    {"healthy", facts("GET", "/-/healthy"), false, K::simple, 200, false, true, false, "OK\n"},
    {"ready", facts("GET", "/-/ready"), true, K::simple, 200, false, true, false, "OK\n"},
    {"not ready", facts("GET", "/-/ready"), false, K::simple, 503, false, true, false, "Not ready\n"},
    // Refusals.
    {"an unknown path", facts("GET", "/metricsx"), true, K::simple, 404, false, true, false, "Not Found\n"},
    {"HEAD of an unknown path has no body", facts("HEAD", "/nope"), true, K::simple, 404, true, true, false, "Not Found\n"},
    {"POST to a known path", facts("POST", "/metrics"), true, K::simple, 405, false, true, false, "Method Not Allowed\n"},
    {"the path before the method", facts("DELETE", "/nope"), true, K::simple, 404, false, true, false, "Not Found\n"},
    // Framing (RFC 9112): 400 and close, before anything else.
    {"HTTP/1.1 without Host", framed(11, 0), true, K::simple, 400, false, false, false, "Bad Request\n"},
    {"HTTP/1.1 with two Host fields", framed(11, 2), true, K::simple, 400, false, false, false, "Bad Request\n"},
    {"HTTP/1.0 needs no Host", framed(10, 0), true, K::metrics, 200, false, true, false, ""},
    {"Transfer-Encoding: chunked", framed(11, 1, 1, "chunked"), true, K::metrics, 200, false, true, false, ""},
    {"Transfer-Encoding: Chunked, any case", framed(11, 1, 1, " Chunked "), true, K::metrics, 200, false, true, false,
     ""},
    {"Transfer-Encoding: xchunked", framed(11, 1, 1, "xchunked"), true, K::simple, 400, false, false, false,
     "Bad Request\n"},
    {"Transfer-Encoding: chunked, identity", framed(11, 1, 1, "chunked, identity"), true, K::simple, 400, false, false,
     false, "Bad Request\n"},
    {"Transfer-Encoding: gzip, chunked", framed(11, 1, 1, "gzip, chunked"), true, K::simple, 400, false, false, false,
     "Bad Request\n"},
    {"two Transfer-Encoding fields", framed(11, 1, 2, "chunked"), true, K::simple, 400, false, false, false,
     "Bad Request\n"},
};

}  // namespace

TEST_CASE("request handler: each request gets its plan", "[http]") {
  const basic_auth::VerifiedCredentials verified;
  for (const Row& row : kRows) {
    INFO(row.what);
    const HttpRoutes r = routes(row.ready);
    const HttpRequestHandler handler(r);
    const ResponsePlan plan = handler.handle(row.request, nullptr, verified, true);
    CHECK(plan.kind == row.kind);
    CHECK(plan.head == row.head);
    CHECK(plan.keep_alive == row.keep_alive);
    CHECK(plan.gzip == row.gzip);
    if (row.kind == K::simple) {
      CHECK(plan.status == row.status);
      CHECK(plan.body == row.body);
      CHECK(plan.allow_header == (row.status == 405));
      CHECK_FALSE(plan.authenticate_header);
    }
  }
}

TEST_CASE("request handler: unreadable requests and failed routes", "[http]") {
  CHECK(HttpRequestHandler::unreadable(UnreadableRequest::header_too_large).status == 431);
  CHECK(HttpRequestHandler::unreadable(UnreadableRequest::body_too_large).status == 413);
  CHECK(HttpRequestHandler::unreadable(UnreadableRequest::malformed).status == 400);
  CHECK_FALSE(HttpRequestHandler::unreadable(UnreadableRequest::malformed).keep_alive);
  const ResponsePlan failed = HttpRequestHandler::internal_error(facts("HEAD", "/"));
  CHECK(failed.status == 500);
  CHECK(failed.head);
  CHECK_FALSE(failed.keep_alive);
  const ResponsePlan overloaded = HttpRequestHandler::overloaded(facts("GET", "/metrics"));
  CHECK(overloaded.status == 503);
  CHECK_FALSE(overloaded.keep_alive);
}

TEST_CASE("request handler: basic authentication comes before routing", "[http][auth]") {
  auto loaded = load_web_config(WGEVENTS_HTTP_TEST_DATA_DIR "/web_config/exporter_toolkit_users.yml");
  REQUIRE(loaded.config);
  const HttpRoutes r = routes(true);
  const HttpRequestHandler handler(r);
  basic_auth::VerifiedCredentials verified;
  // "alice:secret" and "mallory:secret" in base64.
  const HttpRequestFacts alice = facts("GET", "/nope", "", true, "Basic YWxpY2U6c2VjcmV0");
  const HttpRequestFacts mallory = facts("GET", "/metrics", "", true, "Basic bWFsbG9yeTpzZWNyZXQ=");

  SECTION("no credentials: 401 on every path, asking for them") {
    const ResponsePlan plan = handler.handle(facts("GET", "/nope"), loaded.config.get(), verified, true);
    CHECK(plan.status == 401);
    CHECK(plan.authenticate_header);
    CHECK_FALSE(plan.authenticated);
  }
  SECTION("a request that cannot be framed is refused before its credentials are looked at") {
    HttpRequestFacts no_host = alice;
    no_host.host_fields = 0;
    const ResponsePlan plan = handler.handle(no_host, loaded.config.get(), verified, true);
    CHECK(plan.status == 400);
    CHECK_FALSE(plan.authenticated);
  }
  SECTION("a known user's new password is checked against the user's hash, off the handler") {
    const ResponsePlan plan = handler.handle(alice, loaded.config.get(), verified, true);
    REQUIRE(plan.kind == K::check_password);
    CHECK(plan.credentials.user == "alice");
    CHECK(plan.credentials.password == "secret");
    CHECK(plan.password_hash.rfind("$2y$12$", 0) == 0);
    // Then: a match routes (this path is unknown: 404), a mismatch is a 401.
    CHECK(handler.after_password_check(alice, true).status == 404);
    CHECK(handler.after_password_check(alice, true).authenticated);
    CHECK(handler.after_password_check(alice, false).status == 401);
    CHECK_FALSE(handler.after_password_check(alice, false).authenticated);
  }
  SECTION("an unknown user costs a decoy as dear as the dearest hash") {
    const ResponsePlan plan = handler.handle(mallory, loaded.config.get(), verified, true);
    REQUIRE(plan.kind == K::check_password);
    CHECK(plan.password_hash.empty());
    CHECK(plan.decoy_cost == 14);
  }
  SECTION("a password bcrypt accepted before is not checked again") {
    const ResponsePlan first = handler.handle(alice, loaded.config.get(), verified, true);
    verified.insert(first.credentials, first.password_hash);
    CHECK(handler.handle(alice, loaded.config.get(), verified, true).status == 404);
    CHECK(handler.handle(alice, loaded.config.get(), verified, true).authenticated);
  }
  SECTION("once the server stops, no password can be checked: 401") {
    CHECK(handler.handle(alice, loaded.config.get(), verified, false).status == 401);
  }
}
