#include "kmsg_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>


namespace wgevents {

std::optional<std::uint64_t> kmsg_sequence(std::string_view record) {
  auto first = record.find(',');
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  std::uint64_t seq = 0;
  std::size_t i = first + 1;
  std::size_t digits = 0;
  for (; i < record.size() && record[i] >= '0' && record[i] <= '9' && digits < 20; ++i, ++digits) {
    seq = seq * 10 + static_cast<std::uint64_t>(record[i] - '0');
  }
  if (digits == 0 || i >= record.size() || record[i] != ',') return std::nullopt;
  return seq;
}

std::size_t kmsg_record_length(std::string_view bytes) {
  std::size_t end = 0;
  while (true) {
    const std::size_t newline = bytes.find('\n', end);
    if (newline == std::string_view::npos) return 0;
    end = newline + 1;
    if (end == bytes.size() || bytes[end] != ' ') return end;
  }
}

KmsgInput::KmsgInput(boost::asio::io_context& io, std::string path, MessageSink& sink, bool from_start,
                     FailureHandler on_failure)
    : path_(std::move(path)), sink_(sink), from_start_(from_start), device_(io),
      buffer_(new char[kRecordBufferBytes]), on_failure_(std::move(on_failure)) {}

KmsgInput::~KmsgInput() = default;

boost::system::error_code KmsgInput::start() {
  int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return {errno, boost::system::system_category()};
  // A directory opens, and its first read fails: say so now, as for any path that cannot be read.
  struct stat info {};
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    boost::system::error_code ec(S_ISDIR(info.st_mode) ? EISDIR : errno, boost::system::system_category());
    ::close(fd);
    return ec;
  }
  regular_file_ = S_ISREG(info.st_mode);
  if (!from_start_ && ::lseek(fd, 0, SEEK_END) < 0) {
    boost::system::error_code ec(errno, boost::system::system_category());
    ::close(fd);
    return ec;
  }
  boost::system::error_code ec;
  device_.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return ec;
  }
  read_records();  // what is already there (from_start), then wait for more
  return {};
}

void KmsgInput::stop() {
  boost::system::error_code ignored;
  device_.close(ignored);
}

void KmsgInput::await_readable() {
  // epoll does not take regular files (they are always readable): read on at the next turn.
  if (regular_file_) {
    boost::asio::post(device_.get_executor(), [this] { read_records(); });
    return;
  }
  device_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (ec == boost::asio::error::operation_aborted) return;
                       if (ec) {
                         fail(ec);  // the device went away; nothing more to read
                         return;
                       }
                       read_records();
                     });
}

void KmsgInput::deliver(std::string_view record) {
  if (auto seq = kmsg_sequence(record)) {
    if (std::uint64_t lost = sequence_.observe(*seq)) sink_.on_receive_drops(Transport::kmsg, lost);
  }
  sink_.on_message(Transport::kmsg, record, MessageSource{});
}

void KmsgInput::read_records() {
  if (!device_.is_open()) return;
  const int fd = device_.native_handle();
  for (int n = 0; n < kMaxReadsPerWakeup; ++n) {
    ssize_t got = ::read(fd, buffer_.get() + pending_, kRecordBufferBytes - pending_);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) continue;  // records overwritten: the next sequence number says how many
      if (errno == EAGAIN) break;
      // EINVAL, EIO and the like: nothing sensible to retry.
      fail(boost::system::error_code(errno, boost::system::system_category()));
      return;
    }
    if (got == 0) {
      // The device never ends; a FIFO or file standing in for it has. Its last record may lack
      // the newline.
      if (pending_ > 0) deliver(std::string_view(buffer_.get(), pending_));
      pending_ = 0;
      fail(boost::asio::error::eof);
      return;
    }
    std::string_view bytes(buffer_.get(), pending_ + static_cast<std::size_t>(got));
    while (std::size_t length = kmsg_record_length(bytes)) {
      deliver(bytes.substr(0, length));
      bytes.remove_prefix(length);
    }
    // A record with no newline in a whole buffer (only a file can hold one) goes as it is.
    if (bytes.size() == kRecordBufferBytes) {
      deliver(bytes);
      bytes = {};
    }
    // The start of a record whose rest the next read brings (never from the device).
    if (!bytes.empty() && bytes.data() != buffer_.get()) std::memmove(buffer_.get(), bytes.data(), bytes.size());
    pending_ = bytes.size();
  }
  await_readable();
}

void KmsgInput::fail(const boost::system::error_code& ec) {
  if (failure_) return;
  failure_ = ec;
  stop();
  // Posted: the failure may come from within start(), before the caller is ready to hear of it.
  if (on_failure_) boost::asio::post(device_.get_executor(), [handler = on_failure_, ec] { handler(ec); });
}

}  // namespace wgevents
