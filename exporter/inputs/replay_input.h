// The replay input (--replay): a saved log file, or standard input for "-", read line by line
// as if each line had been received. Used to backfill metrics from old logs and, with --once,
// to test the whole pipeline against golden scrapes.
//
// Each line goes to the sink as one message of transport `file` with no source, its LF (and a
// CR before it) stripped; a last line without LF counts as well. A line over
// kMaxLineBytes is passed as a malformed frame and skipped up to its LF, so a corrupt file
// (a binary blob, a line that never ends) costs no more memory than a normal one.
//
// Usage, --replay FILE --once:
//   ReplayInput replay(path, sink);
//   if (auto ec = replay.open()) { "--replay: <path>: " + ec.message(), exit 1 }
//   replay.replay_all();
//   if (replay.read_error()) { ... }
// or, --replay FILE while serving, as an Input on the io_context:
//   ReplayInput replay(io, path, sink, [](boost::system::error_code ec) { ... the file is done ... });
//   if (auto ec = replay.start()) { ... }
//
// Threading: one thread at a time; start()'s handlers run on the io_context's thread.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "input.h"
#include "message.h"

namespace wgevents {

class ReplayInput final : public Input {
 public:
  // The longest line passed as a message, without its LF or a CR before it: the same limit as
  // a TCP frame (SyslogFrameDecoder::kMaxFrameBytes).
  static constexpr std::size_t kMaxLineBytes = 65535;
  // Bytes read per read(2). Large, so a big file costs few system calls; lines are split with
  // memchr in place and copied only when one straddles two reads.
  static constexpr std::size_t kReadBufferBytes = 1024 * 1024;

  // `path` is a file, or "-" for standard input. Opens nothing. For open() and replay_all().
  ReplayInput(std::string path, MessageSink& sink);
  // For start(): reads on `io` and then calls `done` once, with the read error or success at end
  // of file; not at all after stop().
  ReplayInput(boost::asio::io_context& io, std::string path, MessageSink& sink,
              std::function<void(boost::system::error_code)> done);
  ~ReplayInput() override;
  ReplayInput(const ReplayInput&) = delete;
  ReplayInput& operator=(const ReplayInput&) = delete;

  // Opens the file for reading (standard input needs no opening). Errors: the file is
  // missing, unreadable, or a directory. The read buffer is allocated here.
  boost::system::error_code open();

  // Reads everything left, synchronously, handing each line to the sink; returns the number
  // of lines read by this call (messages and malformed lines). Stops early on a read error
  // (see read_error()). Blocks while standard input is a pipe that stays open.
  std::uint64_t replay_all();

  // Opens the file (as open()) and reads everything left on the io_context, one buffer per
  // handler so other handlers (the metrics server) keep running; a pipe on standard input is
  // read as data arrives. Returns open()'s error; operation_not_supported without an io_context.
  boost::system::error_code start() override;

  // Stops start()'s reading (its pending read completes with operation_aborted) and closes the
  // file.
  void stop() override;

  // The error that ended the reading early, if any.
  boost::system::error_code read_error() const { return read_error_; }
  // Lines read so far, over all calls.
  std::uint64_t lines() const { return lines_; }

 private:
  void read_async();
  // Splits the buffer after `bytes` more were read into it.
  void consume(std::size_t bytes);
  // End of file: the last line, if it had no LF.
  void finish();
  void deliver_line(std::size_t begin, std::size_t end);

  std::string path_;
  MessageSink& sink_;
  int fd_ = -1;
  bool owns_fd_ = false;            // not for standard input
  int original_flags_ = -1;         // file status flags to restore after async reading
  std::unique_ptr<char[]> buffer_;  // kReadBufferBytes
  std::size_t begin_ = 0;           // start of the line being assembled
  std::size_t end_ = 0;             // end of the bytes read
  std::size_t skipped_ = 0;         // bytes discarded of an over-long line; 0 if none
  bool skipping_ = false;           // inside an over-long line, waiting for its LF
  std::uint64_t lines_ = 0;
  boost::system::error_code read_error_;
  boost::asio::io_context* io_ = nullptr;                        // start()'s, if any
  std::optional<boost::asio::posix::stream_descriptor> stream_;  // start()'s reader
  std::function<void(boost::system::error_code)> done_;
};

}  // namespace wgevents
