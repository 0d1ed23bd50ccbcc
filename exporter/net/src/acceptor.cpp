#include "wgevents/net/acceptor.h"

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

namespace wgevents::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct Acceptor::State {
  State(asio::io_context& io, Handler handler) : acceptor(io), retry(io), on_accept(std::move(handler)) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  Handler on_accept;
  bool started = false;
  bool stopped = false;
};

namespace {
bool out_of_resources(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_memory || ec == asio::error::no_buffer_space ||
         ec == boost::system::errc::too_many_files_open_in_system;
}
}  // namespace

Acceptor::Acceptor(asio::io_context& io, Handler on_accept)
    : state_(std::make_shared<State>(io, std::move(on_accept))) {}

Acceptor::~Acceptor() { stop(); }

error_code Acceptor::start(const tcp::endpoint& endpoint) {
  State& s = *state_;
  if (s.started || s.stopped) return make_error_code(boost::system::errc::operation_not_permitted);
  error_code ec;
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    return ec;
  }
  s.started = true;
  accept(state_);
  return {};
}

void Acceptor::stop() {
  State& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  error_code ignored;
  s.acceptor.close(ignored);
  s.retry.cancel();
}

tcp::endpoint Acceptor::local_endpoint() const {
  error_code ec;
  tcp::endpoint endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? tcp::endpoint() : endpoint;
}

void Acceptor::accept(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept([state](const error_code& ec, tcp::socket socket) {
    if (state->stopped) return;
    if (!ec) {
      state->on_accept(std::move(socket));
    } else if (out_of_resources(ec)) {
      state->retry.expires_after(kRetryDelay);
      state->retry.async_wait([state](const error_code& wait_ec) {
        if (!wait_ec && !state->stopped) accept(state);
      });
      return;
    }
    // A failed accept otherwise concerns the one connection (reset before it was taken).
    if (!state->stopped) accept(state);
  });
}

}  // namespace wgevents::net
