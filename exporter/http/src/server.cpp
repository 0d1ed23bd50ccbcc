// HttpServer: the public face of the HTTP endpoint. The work is split by what it touches:
// listener.h (accepting, the connection cap, eviction), connection.h (Beast I/O, TLS, streaming
// the metrics page) and request_handler.h (what to answer, without I/O).
#include "wgevents/http/server.h"

#include "listener.h"
#include "password_checks.h"
#include "web_config_settings.h"

namespace wgevents {

HttpServer::HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen, HttpRoutes routes,
                       HttpServerLimits limits, std::shared_ptr<const WebConfig> web_config)
    : listener_(std::make_shared<HttpListener>(io, std::move(routes), limits, web_config)), endpoint_(listen) {
  // With a file, a reload may bring users even if there are none yet.
  if (web_config) {
    password_checks_ = std::make_unique<PasswordCheckThread>();
    listener_->set_password_checks(password_checks_.get());
  }
}

HttpServer::~HttpServer() { stop(); }

boost::system::error_code HttpServer::start() {
  auto ec = listener_->start(endpoint_);
  if (!ec) local_endpoint_ = listener_->local_endpoint();
  return ec;
}

void HttpServer::stop() { listener_->stop(); }

std::string HttpServer::reload_web_config() {
  const std::shared_ptr<const WebConfig> current = listener_->web_config();
  if (!current) return {};
  WebConfigLoad loaded = load_web_config(current->path());
  if (!loaded.config) return loaded.error;
  if (std::string refusal = reload_refusal(*current, *loaded.config); !refusal.empty()) return refusal;
  listener_->set_web_config(std::move(loaded.config));
  return {};
}

std::shared_ptr<const WebConfig> HttpServer::web_config() const { return listener_->web_config(); }

}  // namespace wgevents
