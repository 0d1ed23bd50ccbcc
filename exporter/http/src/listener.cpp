#include "listener.h"

#include <stdexcept>

#include "connection.h"

namespace wgevents {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::string address_key_of(const tcp::socket& socket) {
  error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return {};
  if (remote.address().is_v4()) {
    const auto bytes = remote.address().to_v4().to_bytes();
    return std::string(bytes.begin(), bytes.end());
  }
  const auto bytes = remote.address().to_v6().to_bytes();
  return std::string(bytes.begin(), bytes.end());
}

HttpListener::HttpListener(asio::io_context& io, HttpRoutes routes, HttpServerLimits limits,
                           std::shared_ptr<const WebConfig> web_config)
    : io_(io),
      acceptor_(io, [this](tcp::socket socket) { on_accept(std::move(socket)); }),
      routes_(std::move(routes)),
      limits_(limits),
      web_config_(std::move(web_config)) {
  if (!routes_.metrics || !routes_.ready) {
    throw std::invalid_argument("HTTP routes need both a metrics and a ready callback");
  }
  if (routes_.telemetry_path.empty() || routes_.telemetry_path.front() != '/') {
    throw std::invalid_argument("telemetry path must start with '/': " + routes_.telemetry_path);
  }
}

error_code HttpListener::start(const tcp::endpoint& endpoint) {
  if (started_ || stopped_) return {};
  if (error_code ec = acceptor_.start(endpoint)) return ec;
  started_ = true;
  return {};
}

void HttpListener::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Checks not begun are dropped now, with the connections they hold: shutdown waits for one
  // bcrypt run at most.
  if (password_checks_ != nullptr) password_checks_->stop();
  password_checks_ = nullptr;
  acceptor_.stop();
  // close() does not destroy a connection (its pending handler holds it), so iterating is safe.
  for (HttpConnectionBase* connection : connections_) connection->close();
}

void HttpListener::on_accept(tcp::socket socket) {
  if (stopped_) return;
  const bool tls = web_config_ && web_config_->tls();
  const std::string newcomer = address_key_of(socket);
  // Handshakes have their own budget: past it, a new connection takes the place of a handshake,
  // so stalled handshakes cannot fill the port whatever their number.
  if (tls && handshakes() >= net::handshake_budget(limits_.max_connections)) make_room(newcomer, true);
  if (connections_.size() < limits_.max_connections || make_room(newcomer, false)) {
    start_http_connection(shared_from_this(), std::move(socket), tls ? web_config_ : nullptr);
  }
  // Otherwise the socket closes as it goes out of scope: the client sees the connection end.
}

// At the cap: makes room by closing the connection that gives way most readily
// (HttpConnectionBase::evictable()), so that silent, stalled, slow or unauthenticated connections
// cannot keep a scraper out, whoever opens them and however fast they come back.
bool HttpListener::make_room(const std::string& newcomer, bool handshakes_only) {
  const auto now = HttpConnectionBase::Clock::now();
  const auto victim = chooser_.choose(
      connections_, [now](HttpConnectionBase* connection) { return connection->evictable(now); },
      [](HttpConnectionBase* connection) -> const std::string& { return connection->address_key(); }, newcomer,
      handshakes_only);
  if (!victim) return false;
  (*victim)->close();
  // No longer counted; it goes (and its remove() finds nothing) once its cancelled operation ends.
  connections_.erase(*victim);
  return true;
}

std::size_t HttpListener::handshakes() const {
  const auto now = HttpConnectionBase::Clock::now();
  return net::SlotChooser::handshakes(connections_,
                                      [now](HttpConnectionBase* connection) { return connection->evictable(now); });
}

}  // namespace wgevents
