#include "udp_input.h"

#include <linux/sock_diag.h>  // SK_MEMINFO_DROPS

#include <sys/uio.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "socket_address.h"

namespace wgevents {

namespace asio = boost::asio;

// What the kernel fills in per datagram besides the payload.
struct UdpInput::Slot {
  iovec payload;
  sockaddr_storage sender;
  // Room for one SO_RXQ_OVFL message (a uint32); aligned as the CMSG macros expect.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint32_t))];
};

UdpInput::UdpInput(asio::io_context& io, const asio::ip::udp::endpoint& endpoint, MessageSink& sink,
                   const UdpInputOptions& options)
    : endpoint_(endpoint),
      sink_(sink),
      options_(options),
      socket_(io),
      payload_(new char[options.batch_size * options.datagram_bytes]),
      slots_(new Slot[options.batch_size]),
      headers_(new mmsghdr[options.batch_size]) {
  for (std::size_t i = 0; i < options_.batch_size; ++i) {
    Slot& slot = slots_[i];
    slot.payload.iov_base = payload_.get() + i * options_.datagram_bytes;
    slot.payload.iov_len = options_.datagram_bytes;
    mmsghdr& header = headers_[i];
    std::memset(&header, 0, sizeof header);
    header.msg_hdr.msg_name = &slot.sender;
    header.msg_hdr.msg_iov = &slot.payload;
    header.msg_hdr.msg_iovlen = 1;
    header.msg_hdr.msg_control = slot.control;
  }
}

UdpInput::~UdpInput() = default;

boost::system::error_code UdpInput::start() {
  boost::system::error_code ec;
  socket_.open(endpoint_.protocol(), ec);
  if (ec) return ec;
  int fd = socket_.native_handle();

  int requested = options_.receive_buffer_bytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &requested, sizeof requested) != 0) {
    // Not privileged: the kernel caps SO_RCVBUF at net.core.rmem_max instead of failing.
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &requested, sizeof requested);
  }
  int granted = 0;
  socklen_t granted_size = sizeof granted;
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &granted_size) == 0) {
    receive_buffer_bytes_ = granted;
  }
  int on = 1;
  reports_drops_ = ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) == 0;

  socket_.bind(endpoint_, ec);
  if (ec) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    receive_buffer_bytes_ = 0;
    reports_drops_ = false;
    return ec;
  }
  await_readable();
  return {};
}

void UdpInput::stop() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::ip::udp::endpoint UdpInput::local_endpoint() const {
  boost::system::error_code ec;
  auto endpoint = socket_.local_endpoint(ec);
  return ec ? asio::ip::udp::endpoint() : endpoint;
}

void UdpInput::await_readable() {
  // Only called after a read returned EAGAIN: with the io_context run by one thread, no
  // readiness can be consumed between that read and this wait, so none is missed.
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
    receive_batches();
  });
}

void UdpInput::receive_batches() {
  const auto batch = static_cast<unsigned int>(options_.batch_size);
  for (std::size_t round = 0; round < options_.max_batches_per_wakeup; ++round) {
    for (std::size_t i = 0; i < options_.batch_size; ++i) {
      msghdr& header = headers_[i].msg_hdr;
      header.msg_namelen = sizeof(sockaddr_storage);
      header.msg_controllen = sizeof slots_[i].control;
      header.msg_flags = 0;
    }
    // MSG_TRUNC: msg_len is the datagram's real length even when it did not fit.
    int received = ::recvmmsg(socket_.native_handle(), headers_.get(), batch,
                              MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (received < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: drained. Anything else (ENOMEM, a pending ICMP error) is transient for an
      // unconnected socket: wait for the next datagram.
      await_readable();
      return;
    }
    deliver(static_cast<std::size_t>(received));
    // The sink may have stopped the input.
    if (!socket_.is_open()) return;
  }
  // Still readable after a full share: let other handlers run, then carry on.
  asio::post(socket_.get_executor(), [this] {
    if (socket_.is_open()) receive_batches();
  });
}

void UdpInput::poll_drops() {
  if (!socket_.is_open()) return;
  std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t size = sizeof meminfo;
  if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_MEMINFO, meminfo, &size) != 0 ||
      size <= SK_MEMINFO_DROPS * sizeof(std::uint32_t)) {
    return;
  }
  const std::uint32_t counter = meminfo[SK_MEMINFO_DROPS];
  if (counter != last_drop_counter_) {
    sink_.on_receive_drops(Transport::udp, drop_counter_delta(last_drop_counter_, counter));
    last_drop_counter_ = counter;
  }
}

void UdpInput::deliver(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    msghdr& header = headers_[i].msg_hdr;
    for (cmsghdr* control = CMSG_FIRSTHDR(&header); control != nullptr;
         control = CMSG_NXTHDR(&header, control)) {
      if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SO_RXQ_OVFL) {
        // The kernel's count of datagrams this socket dropped, as of this datagram's arrival.
        // It is only attached once non-zero.
        std::uint32_t counter;
        std::memcpy(&counter, CMSG_DATA(control), sizeof counter);
        if (counter != last_drop_counter_) {
          sink_.on_receive_drops(Transport::udp, drop_counter_delta(last_drop_counter_, counter));
          last_drop_counter_ = counter;
        }
      }
    }
    MessageSource source = message_source_from(static_cast<const sockaddr*>(header.msg_name));
    std::size_t length = headers_[i].msg_len;
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      sink_.on_malformed_frame(Transport::udp, length, source);
    } else {
      sink_.on_message(
          Transport::udp,
          std::string_view(static_cast<const char*>(slots_[i].payload.iov_base), length), source);
    }
  }
}

}  // namespace wgevents
