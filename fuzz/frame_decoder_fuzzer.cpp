// libFuzzer target: any bytes as what a TCP syslog sender puts on one connection.
//
// The stream is fed to SyslogFrameDecoder three ways: in one read, one byte per read (inputs up
// to 8 KiB), and in reads of pseudo-random sizes chosen from the input's hash (so a crash
// replays exactly). Each
// way must give exactly what a plain model of the framing rules (syslog_frame_decoder.h) gives
// for the whole stream at once: the same frames in the same order, the same final result, the
// same framing and the same pending bytes. On top of that, for every read:
//   - no frame is longer than kMaxFrameBytes;
//   - once next() has returned something other than good, prepare() offers at least
//     kReadChunkBytes (a connection can always read on);
//   - bad is final: next() keeps returning bad and pending_bytes() no longer changes.
// A violation aborts, so libFuzzer keeps the input as a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "inputs/syslog_frame_decoder.h"

namespace {

using wgevents::SyslogFrameDecoder;
using Result = SyslogFrameDecoder::Result;
using Framing = SyslogFrameDecoder::Framing;

struct Outcome {
  std::vector<std::string> frames;
  Result last = Result::indeterminate;
  Framing framing = Framing::undetected;
  std::size_t pending = 0;
};

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "frame decoder invariant violated: %s\n", what);
  std::abort();
}

// The framing rules applied to the whole stream, written for clarity rather than speed.
Outcome model(std::string_view s) {
  constexpr std::size_t kMax = SyslogFrameDecoder::kMaxFrameBytes;
  Outcome out;
  if (s.empty()) return out;
  std::size_t p = 0;
  const char first = s[0];
  if (first >= '0' && first <= '9') {
    out.framing = Framing::octet_counting;
    while (p < s.size()) {
      // MSG-LEN: 1-9 then digits, up to the space; over kMax is bad as soon as it is seen.
      if (s[p] < '1' || s[p] > '9') return out.last = Result::bad, out.pending = s.size() - p, out;
      std::size_t length = 0;
      std::size_t i = p;
      for (; i < s.size() && s[i] != ' '; ++i) {
        if (s[i] < '0' || s[i] > '9') return out.last = Result::bad, out.pending = s.size() - p, out;
        length = length * 10 + static_cast<std::size_t>(s[i] - '0');
        if (length > kMax) return out.last = Result::bad, out.pending = s.size() - p, out;
      }
      if (i == s.size() || s.size() - (i + 1) < length) {
        out.pending = s.size() - p;
        return out;
      }
      out.frames.emplace_back(s.substr(i + 1, length));
      p = i + 1 + length;
    }
    return out;
  }
  if (first == '<') {
    out.framing = Framing::non_transparent;
    while (p < s.size()) {
      std::size_t lf = s.find('\n', p);
      // The limit applies to the message: a CR before the LF is framing, so a line of kMax bytes
      // and its CR may wait for the LF.
      if (lf == std::string_view::npos) {
        out.pending = s.size() - p;
        if (out.pending > kMax && !(out.pending == kMax + 1 && s.back() == '\r')) out.last = Result::bad;
        return out;
      }
      std::size_t length = lf - p;
      if (length > 0 && s[lf - 1] == '\r') --length;
      if (length > kMax) return out.last = Result::bad, out.pending = s.size() - p, out;
      if (length > 0) out.frames.emplace_back(s.substr(p, length));
      p = lf + 1;
    }
    return out;
  }
  out.last = Result::bad;
  out.pending = s.size();
  return out;
}

// Feeds `s` in reads whose sizes `next_read()` picks, taking every frame after each read the way
// the TCP input does, and checks the per-read invariants.
template <typename NextRead>
Outcome decode(std::string_view s, NextRead next_read) {
  SyslogFrameDecoder decoder;
  Outcome out;
  std::size_t offset = 0;
  bool first_read = true;
  while (offset < s.size()) {
    std::span<char> space = decoder.prepare();
    if (!first_read && space.size() < SyslogFrameDecoder::kReadChunkBytes) {
      violated("prepare() offers less than kReadChunkBytes");
    }
    first_read = false;
    std::size_t n = std::min({next_read(), space.size(), s.size() - offset});
    std::memcpy(space.data(), s.data() + offset, n);
    decoder.commit(n);
    offset += n;
    std::string_view frame;
    while ((out.last = decoder.next(frame)) == Result::good) {
      if (frame.size() > SyslogFrameDecoder::kMaxFrameBytes) violated("frame over kMaxFrameBytes");
      out.frames.emplace_back(frame);
    }
    if (out.last == Result::bad) {
      const std::size_t pending = decoder.pending_bytes();
      if (decoder.next(frame) != Result::bad || decoder.next(frame) != Result::bad) violated("bad is not final");
      if (decoder.pending_bytes() != pending) violated("pending bytes change after bad");
      break;
    }
  }
  out.framing = decoder.framing();
  out.pending = decoder.pending_bytes();
  return out;
}

// After bad the decoder holds the offending frame as far as it was read, which depends on where
// the reads ended; the model knows the whole stream. So for bad only a bound is compared.
void expect_same(const Outcome& got, const Outcome& want, const char* how) {
  if (got.frames != want.frames) {
    std::fprintf(stderr, "%s: %zu frames, the model %zu\n", how, got.frames.size(), want.frames.size());
    violated("frames differ from the model");
  }
  if (got.last != want.last) {
    std::fprintf(stderr, "%s: result %d, the model %d\n", how, static_cast<int>(got.last), static_cast<int>(want.last));
    violated("final result differs from the model");
  }
  if (got.framing != want.framing) violated("framing differs from the model");
  const bool pending_ok = want.last == Result::bad ? got.pending > 0 && got.pending <= want.pending
                                                  : got.pending == want.pending;
  if (!pending_ok) {
    std::fprintf(stderr, "%s: pending %zu, the model %zu\n", how, got.pending, want.pending);
    violated("pending bytes differ from the model");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  const Outcome want = model(stream);

  expect_same(decode(stream, [&] { return stream.size(); }), want, "one read");
  // Byte by byte costs a decoder call per byte: kept to inputs where it stays cheap, so that the
  // long inputs (those near the 64 KiB limit) still run many times a second.
  if (stream.size() <= 8192) expect_same(decode(stream, [] { return std::size_t{1}; }), want, "one byte per read");

  // Reads of 1 byte to 32 KiB, sizes drawn from a generator seeded with the input's FNV-1a hash.
  std::uint64_t state = 14695981039346656037ULL;
  for (char c : stream) state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  auto random_read = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const unsigned bits = static_cast<unsigned>(state >> 60);  // 0..15: the read's order of magnitude
    return std::size_t{1} + static_cast<std::size_t>((state >> 20) & ((std::uint64_t{1} << bits) - 1));
  };
  expect_same(decode(stream, random_read), want, "random reads");
  return 0;
}
