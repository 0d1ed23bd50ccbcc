#include "inputs/syslog_frame_decoder.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

namespace wgevents {
namespace {

using Result = SyslogFrameDecoder::Result;
using Framing = SyslogFrameDecoder::Framing;

struct Decoded {
  std::vector<std::string> frames;
  Result last = Result::indeterminate;
  std::size_t pending = 0;
  Framing framing = Framing::undetected;
};

// Feeds `input` to a fresh decoder in reads of the given sizes (the last size repeats), taking
// every frame after each read the way the TCP input does.
Decoded decode(const std::string& input, const std::vector<std::size_t>& read_sizes) {
  SyslogFrameDecoder decoder;
  Decoded out;
  std::size_t offset = 0;
  std::size_t read_index = 0;
  while (offset < input.size() && out.last != Result::bad) {
    std::span<char> space = decoder.prepare();
    REQUIRE(space.size() >= SyslogFrameDecoder::kReadChunkBytes);
    std::size_t want = read_sizes[std::min(read_index++, read_sizes.size() - 1)];
    std::size_t n = std::min({want, space.size(), input.size() - offset});
    std::memcpy(space.data(), input.data() + offset, n);
    decoder.commit(n);
    offset += n;
    std::string_view frame;
    while ((out.last = decoder.next(frame)) == Result::good) out.frames.emplace_back(frame);
  }
  out.pending = decoder.pending_bytes();
  out.framing = decoder.framing();
  return out;
}

std::string octet_frame(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

struct Case {
  const char* name;
  std::string input;
  std::vector<std::string> frames;
  Result last;
  Framing framing;
};

std::vector<Case> cases() {
  const std::string max_line = "<1>" + std::string(SyslogFrameDecoder::kMaxFrameBytes - 3, 'a');
  const std::string over_line = max_line + "b";  // 65536 bytes
  const std::string max_line_before_cr =
      "<" + std::string(SyslogFrameDecoder::kMaxFrameBytes - 2, 'a');
  return {
      // Octet counting (RFC 6587 3.4.1).
      {"one octet-counted frame",
       "5 hello",
       {"hello"},
       Result::indeterminate,
       Framing::octet_counting},
      {"several frames in one read",
       "5 hello3 abc1 z",
       {"hello", "abc", "z"},
       Result::indeterminate,
       Framing::octet_counting},
      {"a frame may contain LF and CR",
       "7 a\r\nb\n<c",
       {"a\r\nb\n<c"},
       Result::indeterminate,
       Framing::octet_counting},
      {"count without its space yet", "12", {}, Result::indeterminate, Framing::octet_counting},
      {"frame body incomplete",
       "5 hello5 wor",
       {"hello"},
       Result::indeterminate,
       Framing::octet_counting},
      {"largest frame accepted",
       octet_frame(max_line),
       {max_line},
       Result::indeterminate,
       Framing::octet_counting},
      {"65536-byte frame rejected",
       octet_frame(over_line),
       {},
       Result::bad,
       Framing::octet_counting},
      {"count over the limit rejected before its body",
       "65536 ",
       {},
       Result::bad,
       Framing::octet_counting},
      {"count over the limit rejected before its space",
       "99999",
       {},
       Result::bad,
       Framing::octet_counting},
      {"count of 10^12 rejected without overflow",
       "1000000000000 x",
       {},
       Result::bad,
       Framing::octet_counting},
      {"count of 40 digits rejected without overflow",
       "9999999999999999999999999999999999999999 x",
       {},
       Result::bad,
       Framing::octet_counting},
      {"leading zero rejected", "05 hello", {}, Result::bad, Framing::octet_counting},
      {"zero count rejected", "0 ", {}, Result::bad, Framing::octet_counting},
      {"non-digit in the count", "5x hello", {}, Result::bad, Framing::octet_counting},
      {"two spaces after the count: the second is message",
       "2  a",
       {" a"},
       Result::indeterminate,
       Framing::octet_counting},
      {"next frame not starting with a count",
       "5 hello<13>x\n",
       {"hello"},
       Result::bad,
       Framing::octet_counting},

      // Non-transparent framing with LF (RFC 6587 3.4.2).
      {"one line", "<13>hello\n", {"<13>hello"}, Result::indeterminate, Framing::non_transparent},
      {"CR LF: the CR is stripped",
       "<13>a\r\n<13>b\n",
       {"<13>a", "<13>b"},
       Result::indeterminate,
       Framing::non_transparent},
      {"only the last CR is stripped",
       "<13>a\r\r\n",
       {"<13>a\r"},
       Result::indeterminate,
       Framing::non_transparent},
      {"incomplete last line waits",
       "<1>a\n<1>b\n<1>c",
       {"<1>a", "<1>b"},
       Result::indeterminate,
       Framing::non_transparent},
      {"empty lines skipped",
       "<1>a\n\n\r\n<1>b\n",
       {"<1>a", "<1>b"},
       Result::indeterminate,
       Framing::non_transparent},
      {"later lines need no PRI",
       "<1>a\nplain\n",
       {"<1>a", "plain"},
       Result::indeterminate,
       Framing::non_transparent},
      {"digits on a later line are message, not a count",
       "<1>a\n5 hello\n",
       {"<1>a", "5 hello"},
       Result::indeterminate,
       Framing::non_transparent},
      {"largest line accepted",
       max_line + "\n",
       {max_line},
       Result::indeterminate,
       Framing::non_transparent},
      {"largest line with CR LF accepted",
       max_line_before_cr + "\r\n",
       {max_line_before_cr},
       Result::indeterminate,
       Framing::non_transparent},
      {"largest line with its own CR LF accepted: the CR is framing, not message",
       max_line + "\r\n",
       {max_line},
       Result::indeterminate,
       Framing::non_transparent},
      {"largest line ending in CR, then CR LF",
       max_line_before_cr + "\r\r\n",
       {max_line_before_cr + "\r"},
       Result::indeterminate,
       Framing::non_transparent},
      {"largest line and its CR wait for the LF",
       max_line + "\r",
       {},
       Result::indeterminate,
       Framing::non_transparent},
      {"65536-byte line rejected", over_line + "\n", {}, Result::bad, Framing::non_transparent},
      {"65536-byte line with CR LF rejected", over_line + "\r\n", {}, Result::bad, Framing::non_transparent},
      {"largest line and a CR not followed by LF rejected",
       max_line + "\rx",
       {},
       Result::bad,
       Framing::non_transparent},
      {"no LF within 64 KiB rejected without waiting for more",
       over_line,
       {},
       Result::bad,
       Framing::non_transparent},
      {"good lines before an over-long one are kept",
       "<1>a\n" + over_line,
       {"<1>a"},
       Result::bad,
       Framing::non_transparent},

      // Neither framing.
      {"garbage first byte", "hello\n", {}, Result::bad, Framing::undetected},
      {"leading space", " 5 hello", {}, Result::bad, Framing::undetected},
      {"leading LF", "\n<1>a\n", {}, Result::bad, Framing::undetected},
      {"binary first byte", std::string("\0<1>a\n", 6), {}, Result::bad, Framing::undetected},
      {"nothing yet", "", {}, Result::indeterminate, Framing::undetected},
  };
}

TEST_CASE("SyslogFrameDecoder frames a stream read in one piece, or split anywhere") {
  for (const Case& c : cases()) {
    INFO(c.name);
    Decoded whole = decode(c.input, {c.input.size()});
    CHECK(whole.frames == c.frames);
    CHECK(whole.last == c.last);
    CHECK(whole.framing == c.framing);

    if (c.input.size() <= 64) {
      // Two reads, split at every byte boundary; then one byte per read.
      for (std::size_t split = 1; split < c.input.size(); ++split) {
        INFO("split after byte " << split);
        Decoded two = decode(c.input, {split, c.input.size()});
        CHECK(two.frames == c.frames);
        CHECK(two.last == c.last);
        if (c.last != Result::bad) CHECK(two.pending == whole.pending);
      }
      Decoded bytewise = decode(c.input, {1});
      CHECK(bytewise.frames == c.frames);
      CHECK(bytewise.last == c.last);
    } else {
      // Long inputs: reads of awkward sizes, and full reads that fill the buffer.
      for (std::size_t size : {std::size_t{7}, std::size_t{4093},
                               SyslogFrameDecoder::kReadChunkBytes, std::size_t{1} << 20}) {
        INFO("reads of " << size);
        Decoded chunked = decode(c.input, {size});
        CHECK(chunked.frames == c.frames);
        CHECK(chunked.last == c.last);
      }
    }
  }
}

TEST_CASE("SyslogFrameDecoder reports the incomplete frame a closing connection loses") {
  CHECK(decode("5 hello5 wor", {100}).pending == 5);
  CHECK(decode("<1>a\n<1>b", {100}).pending == 4);
  CHECK(decode("<1>a\n", {100}).pending == 0);
  CHECK(decode("65536 ", {100}).pending == 6);  // the offending frame after bad
}

TEST_CASE("SyslogFrameDecoder keeps taking frames across many buffer refills") {
  // Far more bytes than the buffer holds, with frames straddling every refill.
  std::string octets;
  std::string lines;
  std::vector<std::string> expected;
  for (int i = 0; i < 5000; ++i) {
    std::string message = "<14>message " + std::to_string(i) + std::string(i % 97, '.');
    octets += octet_frame(message);
    lines += message + "\n";
    expected.push_back(message);
  }
  for (std::size_t size : {std::size_t{1000}, SyslogFrameDecoder::kReadChunkBytes}) {
    INFO("reads of " << size);
    CHECK(decode(octets, {size}).frames == expected);
    CHECK(decode(lines, {size}).frames == expected);
  }
}

TEST_CASE("SyslogFrameDecoder takes a frame of exactly the limit, and no more, wherever reads split it") {
  constexpr std::size_t kMax = SyslogFrameDecoder::kMaxFrameBytes;
  const std::string max_line = "<1>" + std::string(kMax - 3, 'a');
  const std::string over_line = max_line + "b";
  REQUIRE(max_line.size() == 65535);
  struct Boundary {
    const char* name;
    std::string input;
    bool good;  // the one frame is taken; else the stream is bad
    std::string frame;
  };
  for (const Boundary& b : {
           Boundary{"max, LF", max_line + "\n", true, max_line},
           Boundary{"max, CR LF", max_line + "\r\n", true, max_line},
           Boundary{"max + 1, LF", over_line + "\n", false, ""},
           Boundary{"max + 1, CR LF", over_line + "\r\n", false, ""},
           Boundary{"octet-counted max", octet_frame(max_line), true, max_line},
           Boundary{"octet-counted max + 1", octet_frame(over_line), false, ""},
       }) {
    INFO(b.name);
    // Split around the count, and at every byte around the end of the message and its trailer.
    std::vector<std::size_t> splits = {1, 2, 5, 6, 7};
    for (std::size_t split = kMax - 3; split < b.input.size(); ++split) splits.push_back(split);
    for (std::size_t split : splits) {
      INFO("split after byte " << split);
      Decoded two = decode(b.input, {split, b.input.size()});
      CHECK(two.last == (b.good ? Result::indeterminate : Result::bad));
      CHECK(two.frames == (b.good ? std::vector<std::string>{b.frame} : std::vector<std::string>{}));
      if (b.good) CHECK(two.pending == 0);
    }
  }
}

TEST_CASE("SyslogFrameDecoder stays bad once bad") {
  SyslogFrameDecoder decoder;
  std::span<char> space = decoder.prepare();
  std::memcpy(space.data(), "x", 1);
  decoder.commit(1);
  std::string_view frame;
  CHECK(decoder.next(frame) == Result::bad);
  CHECK(decoder.next(frame) == Result::bad);
}

}  // namespace
}  // namespace wgevents
