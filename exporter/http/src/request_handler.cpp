#include "request_handler.h"

#include <algorithm>
#include <cctype>

#include "web_config_settings.h"

namespace wgevents {
namespace {

constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kHtmlContentType = "text/html; charset=utf-8";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_head(const HttpRequestFacts& request) { return request.method == "HEAD"; }

ResponsePlan simple(unsigned status, std::string_view content_type, std::string body, bool head,
                    bool keep_alive) {
  ResponsePlan plan;
  plan.status = status;
  plan.content_type = content_type;
  plan.body = std::move(body);
  plan.head = head;
  plan.keep_alive = keep_alive;
  return plan;
}

ResponsePlan authenticated(ResponsePlan plan) {
  plan.authenticated = true;
  return plan;
}

ResponsePlan unauthorized(const HttpRequestFacts& request) {
  ResponsePlan plan = simple(401, kTextContentType, "Unauthorized\n", is_head(request), request.keep_alive);
  plan.authenticate_header = true;
  return plan;
}

}  // namespace

// A bare "*" is not taken as gzip: identity is always acceptable, and Prometheus names gzip.
bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const std::size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const std::size_t semicolon = item.find(';');
    if (!iequals(trim(item.substr(0, semicolon)), "gzip")) continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view params = item.substr(semicolon + 1);
    while (!params.empty()) {
      const std::size_t next = params.find(';');
      std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        // q=0, q=0.0, q=0.00, q=0.000 refuse; any non-zero digit accepts.
        std::string_view value = param.substr(2);
        return value.find_first_of("123456789") != std::string_view::npos;
      }
    }
    return true;
  }
  return false;
}

bool HttpRequestHandler::well_framed(const HttpRequestFacts& request) {
  if (request.transfer_encoding_fields > 1) return false;
  if (request.transfer_encoding_fields == 1 && !iequals(trim(request.transfer_encoding), "chunked")) return false;
  return request.version < 11 || request.host_fields == 1;
}

ResponsePlan HttpRequestHandler::handle(const HttpRequestFacts& request, const WebConfig* config,
                                        const basic_auth::VerifiedCredentials& verified,
                                        bool can_check_passwords) const {
  if (!well_framed(request)) return unreadable(UnreadableRequest::malformed);
  if (config == nullptr || config->settings().users.empty()) return route(request);
  auto credentials = basic_auth::parse_authorization(request.authorization);
  if (!credentials || !can_check_passwords) return unauthorized(request);
  const auto& users = config->settings().users;
  const auto user = users.find(credentials->user);
  if (user != users.end() && verified.contains(*credentials, user->second)) return authenticated(route(request));
  ResponsePlan plan;
  plan.kind = ResponsePlan::Kind::check_password;
  plan.head = is_head(request);
  plan.keep_alive = request.keep_alive;
  plan.credentials = std::move(*credentials);
  plan.password_hash = user != users.end() ? user->second : std::string();
  plan.decoy_cost = config->settings().max_bcrypt_cost;
  return plan;
}

ResponsePlan HttpRequestHandler::after_password_check(const HttpRequestFacts& request, bool match) const {
  return match ? authenticated(route(request)) : unauthorized(request);
}

ResponsePlan HttpRequestHandler::route(const HttpRequestFacts& request) const {
  const bool head = is_head(request);
  const bool get_or_head = head || request.method == "GET";
  const bool keep_alive = request.keep_alive;
  const std::string_view path = request.target.substr(0, request.target.find('?'));

  const bool known =
      path == routes_.telemetry_path || path == "/" || path == "/-/healthy" || path == "/-/ready";
  if (!known) return simple(404, kTextContentType, "Not Found\n", head, keep_alive);
  if (!get_or_head) {
    ResponsePlan plan = simple(405, kTextContentType, "Method Not Allowed\n", false, keep_alive);
    plan.allow_header = true;
    return plan;
  }
  if (path == routes_.telemetry_path) {
    ResponsePlan plan;
    plan.kind = ResponsePlan::Kind::metrics;
    plan.head = head;
    plan.keep_alive = keep_alive;
    plan.gzip = accepts_gzip(request.accept_encoding);
    return plan;
  }
  if (path == "/") return simple(200, kHtmlContentType, routes_.landing_page(), head, keep_alive);
  if (path == "/-/healthy") return simple(200, kTextContentType, "OK\n", head, keep_alive);
  if (routes_.ready()) return simple(200, kTextContentType, "OK\n", head, keep_alive);
  return simple(503, kTextContentType, "Not ready\n", head, keep_alive);
}

ResponsePlan HttpRequestHandler::unreadable(UnreadableRequest why) {
  switch (why) {
    case UnreadableRequest::header_too_large:
      return simple(431, kTextContentType, "Request Header Fields Too Large\n", false, false);
    case UnreadableRequest::body_too_large:
      return simple(413, kTextContentType, "Payload Too Large\n", false, false);
    case UnreadableRequest::malformed:
      break;
  }
  return simple(400, kTextContentType, "Bad Request\n", false, false);
}

ResponsePlan HttpRequestHandler::internal_error(const HttpRequestFacts& request) {
  return simple(500, kTextContentType, "Internal Server Error\n", is_head(request), false);
}

ResponsePlan HttpRequestHandler::overloaded(const HttpRequestFacts& request) {
  return simple(503, kTextContentType, "Too many password checks waiting\n", is_head(request), false);
}

}  // namespace wgevents
