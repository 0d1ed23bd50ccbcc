#include "tcp_input.h"

#include <boost/asio/buffer.hpp>
#include <string_view>

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
    : sink_(sink),
      idle_timeout_(idle_timeout),
      listener_(io, endpoint, sink, max_connections,
                [this](tcp::socket socket, const MessageSource& source) {
                  return std::make_shared<Connection>(*this, std::move(socket), source);
                }) {}

TcpInput::~TcpInput() = default;

boost::system::error_code TcpInput::start() { return listener_.start(); }

void TcpInput::stop() { listener_.stop(); }

tcp::endpoint TcpInput::local_endpoint() const { return listener_.local_endpoint(); }

std::size_t TcpInput::connection_count() const { return listener_.connection_count(); }

void TcpInput::forget(Connection* connection) { listener_.forget(connection); }

}  // namespace wgevents
