// The kernel log input (--kmsg): reads /dev/kmsg directly, so a WireGuard host needs no syslog
// daemon in the path. Each read(2) of the device returns exactly one record; each record is one
// message of transport `kmsg`. A file or FIFO of records in the device's format (as `cat
// /dev/kmsg` saves them) may stand in for the device: its reads are split into records
// (kmsg_record_length()), a record cut by the end of a read completed by the next.
//
// By default reading starts at the end of the kernel's ring buffer (what is logged from now
// on); with `from_start` it first takes what the buffer still holds. Records the kernel
// overwrote before we read them (read(2) fails with EPIPE, sequence numbers jump) are counted
// with on_receive_drops(Transport::kmsg, n).
//
// Opening needs root or CAP_SYSLOG (and, with kernel.dmesg_restrict=1, CAP_SYSLOG even for
// reading): start() returns the error and main names the capability. A directory is refused
// there too. A read that fails later (anything but EAGAIN, EINTR and EPIPE), or an end of file
// (a FIFO standing in for the device), ends the input: it calls `on_failure` once, and reading()
// turns false, which /-/ready reports.
//
// Threading: as every input, used only on the thread that runs the io_context.
#pragma once

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kmsg_record.h"
#include "input.h"
#include "message.h"

namespace wgevents {

class KmsgInput final : public Input {
 public:
  // A record is at most about 8 KiB (the kernel's PRINTK_MESSAGE_MAX and its dictionary);
  // a smaller buffer makes read(2) fail with EINVAL.
  static constexpr std::size_t kRecordBufferBytes = 64 * 1024;
  // Reads (records, from the device) per readiness wake-up before other handlers get a turn.
  static constexpr int kMaxReadsPerWakeup = 256;

  using FailureHandler = std::function<void(const boost::system::error_code&)>;

  // `on_failure` (may be empty) is called, through the io_context, when reading fails for good;
  // it must stay callable until the io_context stops.
  KmsgInput(boost::asio::io_context& io, std::string path, MessageSink& sink, bool from_start,
            FailureHandler on_failure = {});
  ~KmsgInput() override;
  KmsgInput(const KmsgInput&) = delete;
  KmsgInput& operator=(const KmsgInput&) = delete;

  // Opens the device (non-blocking), seeks to the end unless from_start, and starts reading.
  boost::system::error_code start() override;
  // Closes the device; the pending wait completes with operation_aborted. Idempotent.
  void stop() override;
  // True from a successful start() until a read fails for good or stop().
  bool reading() const { return device_.is_open() && !failure_; }
  // The error that ended reading; empty while reading or after a plain stop().
  boost::system::error_code failure() const { return failure_; }

 private:
  void await_readable();
  void read_records();
  // Counts records lost before `record` (sequence gaps), then hands it to the sink.
  void deliver(std::string_view record);
  void fail(const boost::system::error_code& ec);

  std::string path_;
  MessageSink& sink_;
  bool from_start_;
  boost::asio::posix::stream_descriptor device_;
  std::unique_ptr<char[]> buffer_;
  // Bytes at the start of buffer_ that began a record the last read did not finish (a file or
  // FIFO only: the device returns whole records).
  std::size_t pending_ = 0;
  // Regular files are always readable and epoll refuses them: they are read turn after turn.
  bool regular_file_ = false;
  KmsgSequence sequence_;
  FailureHandler on_failure_;
  boost::system::error_code failure_;
};

}  // namespace wgevents
