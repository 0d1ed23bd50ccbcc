// Splits a TCP syslog byte stream into messages (RFC 6587), without doing any I/O.
//
// A sender picks one of two framings and keeps it for the whole connection; the decoder detects
// it from the connection's first byte:
//   - octet counting (RFC 6587 3.4.1, RFC 5425): `MSG-LEN SP MSG`, MSG-LEN a decimal without
//     leading zeros. A first byte that is a digit selects it.
//   - non-transparent framing (RFC 6587 3.4.2) with LF as the trailer, the way rsyslog and
//     syslog-ng send plain TCP. A first byte `<` (the start of a PRI) selects it. A CR before the
//     LF is stripped; empty frames (a stray LF or CR LF) are skipped.
// Any other first byte is not syslog: the stream is bad.
//
// Usage, for each read on the connection:
//
//   std::span<char> space = decoder.prepare();
//   std::size_t n = read(fd, space.data(), space.size());
//   decoder.commit(n);
//   std::string_view frame;
//   SyslogFrameDecoder::Result r;
//   while ((r = decoder.next(frame)) == SyslogFrameDecoder::Result::good) handle(frame);
//   if (r == SyslogFrameDecoder::Result::bad) close the connection;
//   // indeterminate: the rest is an incomplete frame, read more.
//
// Memory: the decoder owns one fixed buffer of kBufferBytes, allocated at construction and
// never grown, so a sender cannot make it hold more. A frame is at most kMaxFrameBytes: the
// limit every syslog transport here shares (65535, the most a 16-bit length can say; rsyslog's
// default maximum message size is 8 KiB, so real WireGuard lines are far below it). A longer
// frame makes the stream bad, because after it the decoder could only guess where the next
// frame starts.
//
// Not thread-safe: one decoder per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace wgevents {

class SyslogFrameDecoder {
 public:
  // What next() found, in the manner of a parser fed incrementally.
  enum class Result : std::uint8_t {
    good,           // a complete frame was returned
    bad,            // the stream is not valid framing, or a frame is over the limit; final
    indeterminate,  // no complete frame buffered yet: read more bytes
  };

  enum class Framing : std::uint8_t { undetected, octet_counting, non_transparent };

  // The largest frame accepted: message bytes, without the count, the LF or a CR before it.
  static constexpr std::size_t kMaxFrameBytes = 65535;
  // Room for "65535 " in front of an octet-counted frame (and for the CR after a line).
  static constexpr std::size_t kMaxCountBytes = 6;
  // The least prepare() offers once the buffered frames have been taken; one read's worth.
  static constexpr std::size_t kReadChunkBytes = 16 * 1024;
  // The whole buffer: the longest incomplete frame plus a read.
  static constexpr std::size_t kBufferBytes = kMaxCountBytes + kMaxFrameBytes + kReadChunkBytes;

  SyslogFrameDecoder();
  SyslogFrameDecoder(const SyslogFrameDecoder&) = delete;
  SyslogFrameDecoder& operator=(const SyslogFrameDecoder&) = delete;

  // Where the next read should put its bytes: at least kReadChunkBytes once next() has returned
  // something other than good. Invalidates the frames next() returned before.
  std::span<char> prepare();
  // Records that the first `bytes` of the span from prepare() were filled.
  void commit(std::size_t bytes);

  // Takes the next complete frame. On good, `frame` views the message inside the decoder's
  // buffer, valid until the next prepare(). After bad, every call returns bad.
  Result next(std::string_view& frame);

  Framing framing() const { return framing_; }
  // Bytes buffered that are not part of a returned frame: an incomplete frame after
  // indeterminate (a connection closing now loses them), the offending frame after bad.
  std::size_t pending_bytes() const { return end_ - begin_; }

 private:
  Result next_octet_counted(std::string_view& frame);
  Result next_line(std::string_view& frame);
  Result fail();

  std::unique_ptr<char[]> buffer_;  // kBufferBytes
  std::size_t begin_ = 0;           // start of the first frame not yet returned
  std::size_t end_ = 0;             // end of the bytes committed
  std::size_t scanned_ = 0;         // non-transparent: bytes before this hold no LF
  Framing framing_ = Framing::undetected;
  bool bad_ = false;
};

}  // namespace wgevents
