#include "gzip_encoder.h"

#include <algorithm>
#include <limits>
#include <new>
#include <stdexcept>

namespace wgevents {
namespace {

// Level 1: the io_context thread that compresses also reads the syslog inputs, and the fastest
// level is several times quicker than the default while still shrinking the repetitive
// exposition text several-fold.
constexpr int kLevel = Z_BEST_SPEED;
// 15 bits of window (32 KiB, zlib's maximum), +16 for the gzip wrapper instead of zlib's.
constexpr int kWindowBits = 15 + 16;
constexpr int kMemLevel = 8;  // zlib's default
// How much output space to add per deflate() call when the previous call filled it.
constexpr std::size_t kOutputStep = 16 * 1024;

}  // namespace

GzipEncoder::GzipEncoder() {
  int rc = deflateInit2(&stream_, kLevel, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw std::runtime_error("deflateInit2 failed");
}

GzipEncoder::~GzipEncoder() { deflateEnd(&stream_); }

void GzipEncoder::write(std::string_view in, bool last, std::string& out) {
  // zlib counts input in uInt; pieces are far smaller, but do not silently truncate.
  if (in.size() > std::numeric_limits<uInt>::max()) throw std::length_error("gzip piece too large");
  const int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
  // zlib takes a non-const pointer but does not write through next_in.
  stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream_.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    const std::size_t used = out.size();
    const std::size_t step = std::max(kOutputStep, in.size() / 2);
    out.resize(used + step);
    stream_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    stream_.avail_out = static_cast<uInt>(step);
    const int rc = deflate(&stream_, flush);
    out.resize(used + step - stream_.avail_out);
    if (rc == Z_STREAM_END) return;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("deflate failed");
    // With room left over, all input is consumed and the flush is complete.
    if (!last && stream_.avail_out != 0) return;
  }
}

}  // namespace wgevents
