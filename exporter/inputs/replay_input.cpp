#include "replay_input.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace wgevents {

namespace asio = boost::asio;

namespace {

boost::system::error_code last_system_error() { return {errno, boost::system::system_category()}; }

}  // namespace

ReplayInput::ReplayInput(std::string path, MessageSink& sink)
    : path_(std::move(path)), sink_(sink) {}

ReplayInput::ReplayInput(asio::io_context& io, std::string path, MessageSink& sink,
                         std::function<void(boost::system::error_code)> done)
    : path_(std::move(path)), sink_(sink), io_(&io), done_(std::move(done)) {}

ReplayInput::~ReplayInput() { stop(); }

boost::system::error_code ReplayInput::open() {
  if (fd_ >= 0) return {};
  int fd = STDIN_FILENO;
  bool owns = false;
  if (path_ != "-") {
    fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return last_system_error();
    owns = true;
  }
  // open(2) accepts a directory; reading it would fail only later.
  struct stat status;
  boost::system::error_code ec;
  if (::fstat(fd, &status) != 0) {
    ec = last_system_error();
  } else if (S_ISDIR(status.st_mode)) {
    ec = boost::system::error_code(EISDIR, boost::system::system_category());
  }
  if (ec) {
    if (owns) ::close(fd);
    return ec;
  }
  fd_ = fd;
  owns_fd_ = owns;
  if (!buffer_) buffer_.reset(new char[kReadBufferBytes]);
  return {};
}

std::uint64_t ReplayInput::replay_all() {
  std::uint64_t before = lines_;
  while (fd_ >= 0) {
    ssize_t n = ::read(fd_, buffer_.get() + end_, kReadBufferBytes - end_);
    if (n > 0) {
      consume(static_cast<std::size_t>(n));
    } else if (n == 0) {
      finish();
      stop();
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Standard input inherited in non-blocking mode: wait for data like a blocking read.
      pollfd readable{fd_, POLLIN, 0};
      ::poll(&readable, 1, -1);
    } else if (errno != EINTR) {
      read_error_ = last_system_error();
      stop();
    }
  }
  return lines_ - before;
}

boost::system::error_code ReplayInput::start() {
  if (io_ == nullptr) return boost::system::errc::make_error_code(boost::system::errc::operation_not_supported);
  if (auto ec = open()) return ec;
  original_flags_ = ::fcntl(fd_, F_GETFL);
  stream_.emplace(*io_);
  boost::system::error_code ec;
  // A regular file cannot be polled; Asio then reads it directly, which never blocks.
  stream_->assign(fd_, ec);
  if (ec) {
    stream_.reset();
    stop();
    return ec;
  }
  read_async();
  return {};
}

void ReplayInput::read_async() {
  stream_->async_read_some(asio::buffer(buffer_.get() + end_, kReadBufferBytes - end_),
                           [this](boost::system::error_code ec, std::size_t bytes) {
                             if (ec == asio::error::operation_aborted || !stream_) return;
                             if (bytes > 0) consume(bytes);
                             if (!ec) {
                               read_async();
                               return;
                             }
                             if (ec == asio::error::eof) {
                               finish();
                               ec = {};
                             } else {
                               read_error_ = ec;
                             }
                             auto done = std::move(done_);
                             stop();
                             if (done) done(ec);
                           });
}

void ReplayInput::stop() {
  if (stream_) {
    // Cancels the pending read and gives the descriptor back without closing it.
    stream_->release();
    stream_.reset();
    if (original_flags_ >= 0) ::fcntl(fd_, F_SETFL, original_flags_);
  }
  if (fd_ >= 0 && owns_fd_) ::close(fd_);
  fd_ = -1;
  owns_fd_ = false;
}

void ReplayInput::consume(std::size_t bytes) {
  const char* data = buffer_.get();
  std::size_t scan = end_;  // the bytes before end_ were searched for LF already
  end_ += bytes;
  while (const void* lf = std::memchr(data + scan, '\n', end_ - scan)) {
    auto newline = static_cast<std::size_t>(static_cast<const char*>(lf) - data);
    if (skipping_) {
      ++lines_;
      sink_.on_malformed_frame(Transport::file, skipped_ + (newline - begin_), {});
      skipping_ = false;
      skipped_ = 0;
    } else {
      deliver_line(begin_, newline);
    }
    begin_ = scan = newline + 1;
  }
  std::size_t pending = end_ - begin_;
  // A line of the largest size may be followed by the CR of its CR LF, waiting for the LF.
  const bool largest_and_cr = pending == kMaxLineBytes + 1 && data[end_ - 1] == '\r';
  if (skipping_ || (pending > kMaxLineBytes && !largest_and_cr)) {
    // An over-long line: count its bytes, keep none of them.
    skipping_ = true;
    skipped_ += pending;
    begin_ = end_ = 0;
  } else if (begin_ > 0) {
    // Keep the incomplete line (at most kMaxLineBytes) at the front for the next read.
    std::memmove(buffer_.get(), buffer_.get() + begin_, pending);
    begin_ = 0;
    end_ = pending;
  }
}

void ReplayInput::finish() {
  if (skipping_) {
    ++lines_;
    sink_.on_malformed_frame(Transport::file, skipped_ + (end_ - begin_), {});
  } else if (end_ > begin_) {
    deliver_line(begin_, end_);
  }
  begin_ = end_ = skipped_ = 0;
  skipping_ = false;
}

void ReplayInput::deliver_line(std::size_t begin, std::size_t end) {
  ++lines_;
  std::size_t length = end - begin;
  const char* line = buffer_.get() + begin;
  if (length > 0 && line[length - 1] == '\r') --length;  // line ending, not held to the limit
  if (length > kMaxLineBytes) {
    sink_.on_malformed_frame(Transport::file, end - begin, {});
    return;
  }
  sink_.on_message(Transport::file, std::string_view(line, length), {});
}

}  // namespace wgevents
