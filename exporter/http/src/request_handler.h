// What the server answers to one request, decided without I/O (asio's `request_handler` is the
// model): the request's facts in, a ResponsePlan out. The connection (connection.h) reads the
// request, carries out the plan and writes the response; this decides it, and is tested row by
// row without sockets (tests/exporter/http/request_handler_test.cpp).
//
// Order of decisions: the request's framing (RFC 9112: 400 and close), then basic authentication
// when the web configuration names users (for every path, as the exporter toolkit does), then the
// path (404), then the method (405), then the route. A password not seen before is not checked here: bcrypt takes tens of milliseconds, so
// the plan asks the connection to check it off the io_context thread and to come back with
// after_password_check().
//
// Threading: used on the io_context thread only. Calls the route callbacks (landing_page,
// ready), which may throw: the connection answers 500 then.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "basic_auth.h"
#include "wgevents/http/server.h"

namespace wgevents {

// The facts of a request the answer depends on. Views into the request, which outlives the plan.
struct HttpRequestFacts {
  unsigned version = 11;             // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string_view method;           // "GET", "HEAD", ...
  std::string_view target;           // "/metrics?x=1": the query string is ignored
  std::string_view authorization;    // the Authorization header; empty when absent
  std::string_view accept_encoding;  // the Accept-Encoding header; empty when absent
  bool keep_alive = true;            // what the request asks for (HTTP/1.1 default, Connection:)
  std::size_t host_fields = 1;               // how many Host fields the request has
  std::size_t transfer_encoding_fields = 0;  // how many Transfer-Encoding fields
  std::string_view transfer_encoding;        // the (first) Transfer-Encoding field; empty when absent
};

// Why a request could not be read whole; each gets its own answer before the connection closes.
enum class UnreadableRequest { header_too_large, body_too_large, malformed };

struct ResponsePlan {
  enum class Kind {
    simple,          // status, content type and body, below
    metrics,         // 200 with the metrics page, from a fresh routes.metrics() source
    check_password,  // check `credentials` against `password_hash` first (see the top)
  };
  Kind kind = Kind::simple;
  unsigned status = 200;
  std::string_view content_type;
  std::string body;
  bool head = false;        // send the headers only
  bool keep_alive = true;   // keep the connection open after the response
  bool gzip = false;        // metrics: the client accepts gzip
  bool allow_header = false;         // 405: `Allow: GET, HEAD`
  bool authenticate_header = false;  // 401: `WWW-Authenticate: Basic`
  bool authenticated = false;        // the request passed basic authentication
  // check_password: the user's bcrypt hash, or empty for an unknown user (then a decoy of
  // `decoy_cost` is spent, so that timing does not tell which users exist).
  basic_auth::Credentials credentials;
  std::string password_hash;
  int decoy_cost = 0;
};

class HttpRequestHandler {
 public:
  explicit HttpRequestHandler(const HttpRoutes& routes) : routes_(routes) {}

  // `config`: the web configuration in effect (null: none); `verified` remembers passwords
  // bcrypt accepted under it; `can_check_passwords`: false once the server stops (no password
  // thread left), which turns every new password into a 401.
  ResponsePlan handle(const HttpRequestFacts& request, const WebConfig* config,
                      const basic_auth::VerifiedCredentials& verified, bool can_check_passwords) const;
  // After a check_password plan: routes the request when the password matched, else 401.
  ResponsePlan after_password_check(const HttpRequestFacts& request, bool match) const;
  // The answer to a request that could not be read (400, 413, 431); the connection closes after it.
  static ResponsePlan unreadable(UnreadableRequest why);
  // 500, when a route callback threw.
  static ResponsePlan internal_error(const HttpRequestFacts& request);
  // 503 and close, when too many password checks wait already (a flood); the client may try
  // again on a new connection.
  static ResponsePlan overloaded(const HttpRequestFacts& request);
  // Whether a request can be trusted to end where the parser thinks (RFC 9112): a
  // Transfer-Encoding other than exactly "chunked" (section 6.1: "xchunked", "chunked, identity",
  // "gzip": the only one read here is chunked, and it must be last), or an HTTP/1.1 request
  // without exactly one Host field (section 3.2), is answered 400 and the connection closed.
  static bool well_framed(const HttpRequestFacts& request);

 private:
  ResponsePlan route(const HttpRequestFacts& request) const;

  const HttpRoutes& routes_;
};

// True if an Accept-Encoding value lists gzip without "q=0" (RFC 9110 section 12.5.3).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace wgevents
