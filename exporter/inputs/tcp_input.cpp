#include "tcp_input.h"

#include "stream_connection.h"

namespace wgevents {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One sender: all of it is StreamConnection's, reading from the moment it is accepted.
class TcpInput::Connection : public StreamConnection<Connection, tcp::socket> {
 public:
  Connection(TcpInput& owner, tcp::socket socket, const MessageSource& source)
      : StreamConnection(owner.listener_, owner.sink_, source, owner.idle_timeout_, std::move(socket)) {}

  void start() { start_reading(); }
};

TcpInput::TcpInput(asio::io_context& io, const tcp::endpoint& endpoint, MessageSink& sink,
                   std::size_t max_connections, Clock::duration idle_timeout)
    : sink_(sink),
      idle_timeout_(idle_timeout),
      listener_(io, endpoint, Transport::tcp, sink, max_connections,
                [this](tcp::socket socket, const MessageSource& source) {
                  return std::make_shared<Connection>(*this, std::move(socket), source);
                }) {}

TcpInput::~TcpInput() = default;

boost::system::error_code TcpInput::start() { return listener_.start(); }

void TcpInput::stop() { listener_.stop(); }

tcp::endpoint TcpInput::local_endpoint() const { return listener_.local_endpoint(); }

std::size_t TcpInput::connection_count() const { return listener_.connection_count(); }

}  // namespace wgevents
