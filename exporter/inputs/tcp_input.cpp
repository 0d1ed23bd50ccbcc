#include "tcp_input.h"

#include <boost/asio/buffer.hpp>
#include <string_view>

#include "socket_address.h"
#include "syslog_frame_decoder.h"

namespace wgevents {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One sender: reads into its decoder, hands each frame to the sink, closes on bad framing,
// end of stream or idleness.
class TcpInput::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpInput& owner, tcp::socket socket, const MessageSource& source)
      : owner_(owner),
        socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        source_(source),
        last_activity_(Clock::now()) {}

  void start() {
    await_idle_deadline(last_activity_ + owner_.idle_timeout_);
    read();
  }

  // Idempotent. The pending read and timer complete with operation_aborted.
  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    idle_timer_.cancel();
    owner_.forget(this);
  }

 private:
  void read() {
    std::span<char> space = decoder_.prepare();
    socket_.async_read_some(
        asio::buffer(space.data(), space.size()),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
          if (ec == asio::error::operation_aborted || self->closed_) return;
          self->on_read(ec, bytes);
        });
  }

  void on_read(boost::system::error_code ec, std::size_t bytes) {
    if (bytes > 0) {
      last_activity_ = Clock::now();
      decoder_.commit(bytes);
      std::string_view frame;
      SyslogFrameDecoder::Result result;
      while ((result = decoder_.next(frame)) == SyslogFrameDecoder::Result::good) {
        owner_.sink_.on_message(Transport::tcp, frame, source_);
        if (closed_) return;  // the sink stopped the input
      }
      if (result == SyslogFrameDecoder::Result::bad) {
        owner_.sink_.on_malformed_frame(Transport::tcp, decoder_.pending_bytes(), source_);
        close();
        return;
      }
    }
    if (ec) {
      close_losing_partial_frame();  // end of stream or a reset
      return;
    }
    read();
  }

  // Closes a connection that will send no more: what is left is a frame it never finished.
  void close_losing_partial_frame() {
    if (decoder_.pending_bytes() > 0) {
      owner_.sink_.on_malformed_frame(Transport::tcp, decoder_.pending_bytes(), source_);
    }
    close();
  }

  // Reads do not touch the timer (that would cost a timer operation per read); the timer
  // wakes at the deadline computed from the last activity it knew of and sleeps on if there
  // was activity since.
  void await_idle_deadline(Clock::time_point deadline) {
    idle_timer_.expires_at(deadline);
    idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted || self->closed_) return;
      Clock::time_point deadline = self->last_activity_ + self->owner_.idle_timeout_;
      if (Clock::now() >= deadline) {
        self->close_losing_partial_frame();
      } else {
        self->await_idle_deadline(deadline);
      }
    });
  }

  TcpInput& owner_;
  tcp::socket socket_;
  asio::steady_timer idle_timer_;  // closes the connection once idle_timeout passes quietly
  SyslogFrameDecoder decoder_;
  MessageSource source_;             // the sender, as accepted
  Clock::time_point last_activity_;  // when bytes last arrived
  bool closed_ = false;
};

TcpInput::TcpInput(asio::io_context& io, const tcp::endpoint& endpoint, MessageSink& sink,
                   std::size_t max_connections, Clock::duration idle_timeout)
    : io_(io),
      endpoint_(endpoint),
      sink_(sink),
      max_connections_(max_connections),
      idle_timeout_(idle_timeout),
      acceptor_(io),
      accept_retry_timer_(io) {}

TcpInput::~TcpInput() = default;

boost::system::error_code TcpInput::start() {
  boost::system::error_code ec;
  acceptor_.open(endpoint_.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint_, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  accept();
  return {};
}

void TcpInput::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [raw, connection] : connections) connection->close();
}

tcp::endpoint TcpInput::local_endpoint() const {
  boost::system::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? tcp::endpoint() : endpoint;
}

void TcpInput::accept() {
  acceptor_.async_accept(io_, [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      on_accepted(std::move(socket));
    } else if (ec == asio::error::no_descriptors || ec == asio::error::no_memory ||
               ec == asio::error::no_buffer_space ||
               ec == boost::system::errc::too_many_files_open_in_system) {
      accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
      accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
        if (wait_ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        accept();
      });
      return;
    }
    // Other errors concern the one connection that failed (it was reset before we took it).
    accept();
  });
}

void TcpInput::on_accepted(tcp::socket socket) {
  if (connections_.size() >= max_connections_) {
    boost::system::error_code ignored;
    socket.close(ignored);
    sink_.on_connection_refused(Transport::tcp);
    return;
  }
  boost::system::error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  MessageSource source = message_source_from(remote.data());
  if (!sink_.accepts(source)) {
    // Outside --syslog.allowed-sources: closed at once, so it cannot hold a slot.
    socket.close(ec);
    sink_.on_connection_refused(Transport::tcp);
    return;
  }
  auto connection = std::make_shared<Connection>(*this, std::move(socket), source);
  connections_.emplace(connection.get(), connection);
  connection->start();
}

void TcpInput::forget(Connection* connection) { connections_.erase(connection); }

}  // namespace wgevents
