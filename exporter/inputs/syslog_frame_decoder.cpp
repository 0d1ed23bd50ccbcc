#include "syslog_frame_decoder.h"

#include <cassert>
#include <cstring>

namespace wgevents {

// An incomplete line may be a frame of the largest size and the CR of its CR LF.
static_assert(SyslogFrameDecoder::kMaxCountBytes >= 1);

SyslogFrameDecoder::SyslogFrameDecoder() : buffer_(new char[kBufferBytes]) {}

std::span<char> SyslogFrameDecoder::prepare() {
  if (begin_ == end_) {
    begin_ = end_ = scanned_ = 0;
  } else if (kBufferBytes - end_ < kReadChunkBytes && begin_ > 0) {
    // Move the incomplete frame to the front. It is at most one frame, so this copies little
    // and happens at most once per frame that straddles reads.
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    scanned_ -= begin_;
    begin_ = 0;
  }
  assert(bad_ || kBufferBytes - end_ >= kReadChunkBytes);
  return {buffer_.get() + end_, kBufferBytes - end_};
}

void SyslogFrameDecoder::commit(std::size_t bytes) {
  assert(bytes <= kBufferBytes - end_);
  end_ += bytes;
}

SyslogFrameDecoder::Result SyslogFrameDecoder::next(std::string_view& frame) {
  for (;;) {
    if (bad_) return Result::bad;
    if (begin_ == end_) return Result::indeterminate;
    if (framing_ == Framing::undetected) {
      char first = buffer_[begin_];
      if (first >= '0' && first <= '9') {
        framing_ = Framing::octet_counting;
      } else if (first == '<') {
        framing_ = Framing::non_transparent;
      } else {
        return fail();
      }
    }
    if (framing_ == Framing::octet_counting) return next_octet_counted(frame);
    Result result = next_line(frame);
    if (result != Result::good || !frame.empty()) return result;
  }
}

SyslogFrameDecoder::Result SyslogFrameDecoder::next_octet_counted(std::string_view& frame) {
  const char* data = buffer_.get();
  std::size_t length = 0;
  std::size_t i = begin_;
  if (data[i] < '1' || data[i] > '9') return fail();  // no leading zero, no empty count
  for (; i < end_ && data[i] != ' '; ++i) {
    if (data[i] < '0' || data[i] > '9') return fail();
    // Checked per digit, so a count of any length is rejected before it could overflow.
    length = length * 10 + static_cast<std::size_t>(data[i] - '0');
    if (length > kMaxFrameBytes) return fail();
  }
  if (i == end_) return Result::indeterminate;
  std::size_t body = i + 1;
  if (end_ - body < length) return Result::indeterminate;
  frame = std::string_view(data + body, length);
  begin_ = scanned_ = body + length;
  return Result::good;
}

SyslogFrameDecoder::Result SyslogFrameDecoder::next_line(std::string_view& frame) {
  const char* data = buffer_.get();
  if (scanned_ < begin_) scanned_ = begin_;
  const void* lf = std::memchr(data + scanned_, '\n', end_ - scanned_);
  if (lf == nullptr) {
    std::size_t pending = end_ - begin_;
    // A frame of the largest size may be followed by the CR of its CR LF, waiting for the LF.
    bool largest_and_cr = pending == kMaxFrameBytes + 1 && data[end_ - 1] == '\r';
    if (pending > kMaxFrameBytes && !largest_and_cr) return fail();
    scanned_ = end_;
    return Result::indeterminate;
  }
  std::size_t newline = static_cast<std::size_t>(static_cast<const char*>(lf) - data);
  std::size_t length = newline - begin_;
  if (length > 0 && data[newline - 1] == '\r') --length;  // framing, so not held to the limit
  if (length > kMaxFrameBytes) return fail();
  frame = std::string_view(data + begin_, length);
  begin_ = scanned_ = newline + 1;
  return Result::good;
}

SyslogFrameDecoder::Result SyslogFrameDecoder::fail() {
  bad_ = true;
  return Result::bad;
}

}  // namespace wgevents
