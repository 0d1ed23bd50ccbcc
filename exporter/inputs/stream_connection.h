// The reading half shared by the TCP and TLS syslog inputs' connections: reads into a
// SyslogFrameDecoder, hands each frame to the sink, closes on bad framing, end of stream or
// idleness, counting a frame cut off by the close as malformed.
//
// `Derived` is the input's own connection class (CRTP), the one its ConnectionListener holds;
// `Stream` is what it reads from (a TCP socket, or a TLS stream over one). Derived::start() calls
// start_reading() once the stream can carry syslog (at once on TCP, after the handshake on TLS);
// until then the timer is Derived's to use (the TLS handshake deadline).
// Threading: as every input, used only on the thread that runs the io_context.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "connection_listener.h"
#include "message.h"
#include "syslog_frame_decoder.h"

namespace wgevents {

template <typename Derived, typename Stream>
class StreamConnection : public std::enable_shared_from_this<Derived> {
 public:
  using Clock = std::chrono::steady_clock;

  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Idempotent. The pending operations complete with operation_aborted. On TLS no close_notify
  // is sent: the exporter never writes application data, and a sender that wants to go on
  // reconnects either way.
  // The sender, as accepted.
  const MessageSource& source() const { return source_; }

  // Whether this sender may give way to a new one at the cap (connection_listener.h): one that
  // has sent nothing since it connected, or has been silent for kSilentEvictable.
  std::optional<ConnectionEviction> evictable(Clock::time_point now) const {
    if (closed_) return std::nullopt;
    if (!received_) return ConnectionEviction{0, connected_at_, false};
    if (now - last_activity_ >= kSilentEvictable) return ConnectionEviction{1, last_activity_, false};
    return std::nullopt;
  }

  // Silence after which a sender may give way to a new one at the cap. A quiet host's syslog
  // daemon reconnects when it next has a line to send.
  static constexpr std::chrono::seconds kSilentEvictable{10};

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    stream_.lowest_layer().close(ignored);
    timer_.cancel();
    listener_.forget(static_cast<Derived*>(this));
  }

 protected:
  // `stream_args` construct the stream.
  template <typename... StreamArgs>
  StreamConnection(ConnectionListener<Derived>& listener, MessageSink& sink, const MessageSource& source,
                   Clock::duration idle_timeout, StreamArgs&&... stream_args)
      : listener_(listener),
        sink_(sink),
        stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(stream_.get_executor()),
        source_(source),
        idle_timeout_(idle_timeout),
        connected_at_(Clock::now()),
        last_activity_(connected_at_) {}
  ~StreamConnection() = default;

  // Starts the idle deadline (replacing whatever the timer waited for) and the reads.
  void start_reading() {
    last_activity_ = Clock::now();
    await_idle_deadline(last_activity_ + idle_timeout_);
    read();
  }

  bool closed() const { return closed_; }
  MessageSink& sink() { return sink_; }
  Stream& stream() { return stream_; }
  boost::asio::steady_timer& timer() { return timer_; }

 private:
  void read() {
    std::span<char> space = decoder_.prepare();
    stream_.async_read_some(
        boost::asio::buffer(space.data(), space.size()),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
          if (ec == boost::asio::error::operation_aborted || self->closed_) return;
          self->on_read(ec, bytes);
        });
  }

  void on_read(boost::system::error_code ec, std::size_t bytes) {
    if (bytes > 0) {
      last_activity_ = Clock::now();
      received_ = true;
      decoder_.commit(bytes);
      std::string_view frame;
      SyslogFrameDecoder::Result result;
      while ((result = decoder_.next(frame)) == SyslogFrameDecoder::Result::good) {
        sink_.on_message(listener_.transport(), frame, source_);
        if (closed_) return;  // the sink stopped the input
      }
      if (result == SyslogFrameDecoder::Result::bad) {
        sink_.on_malformed_frame(listener_.transport(), decoder_.pending_bytes(), source_);
        close();
        return;
      }
    }
    if (ec) {
      // End of stream, a reset, or on TLS: end of stream with close_notify (eof) or without it
      // (stream_truncated: rsyslog closes that way), or a record that fails its integrity check.
      close_losing_partial_frame();
      return;
    }
    read();
  }

  // Closes a connection that will send no more: what is left is a frame it never finished.
  void close_losing_partial_frame() {
    if (decoder_.pending_bytes() > 0) {
      sink_.on_malformed_frame(listener_.transport(), decoder_.pending_bytes(), source_);
    }
    close();
  }

  // Reads do not touch the timer (that would cost a timer operation per read); the timer
  // wakes at the deadline computed from the last activity it knew of and sleeps on if there
  // was activity since.
  void await_idle_deadline(Clock::time_point deadline) {
    timer_.expires_at(deadline);
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec == boost::asio::error::operation_aborted || self->closed_) return;
      Clock::time_point next = self->last_activity_ + self->idle_timeout_;
      if (Clock::now() >= next) {
        self->close_losing_partial_frame();
      } else {
        self->await_idle_deadline(next);
      }
    });
  }

  ConnectionListener<Derived>& listener_;  // takes the connection out of its set on close()
  MessageSink& sink_;
  Stream stream_;
  // Closes the connection once idle_timeout passes quietly; Derived's before start_reading().
  boost::asio::steady_timer timer_;
  SyslogFrameDecoder decoder_;
  MessageSource source_;  // the sender, as accepted
  Clock::duration idle_timeout_;
  Clock::time_point connected_at_;
  Clock::time_point last_activity_;  // when bytes last arrived
  bool received_ = false;            // any bytes since the connection began
  bool closed_ = false;
};

}  // namespace wgevents
