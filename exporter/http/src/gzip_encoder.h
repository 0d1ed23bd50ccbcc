// Streaming gzip compression of a response body, one piece at a time, each piece flushed so the
// client can decompress what it has received so far.
#pragma once

#include <string>
#include <string_view>

#include <zlib.h>

namespace wgevents {

class GzipEncoder {
 public:
  // Throws std::bad_alloc if zlib cannot allocate its state (about 256 KiB: a 32 KiB window and
  // the default hash tables).
  GzipEncoder();
  ~GzipEncoder();

  // zlib's state points back at the z_stream, so the encoder must stay where it was built.
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  // Appends the compressed form of `in` to `out`, flushed to a byte boundary (Z_SYNC_FLUSH), or,
  // when `last`, followed by the gzip trailer (Z_FINISH); nothing may be written after that.
  // `out` grows by about the size of `in` at most (plus a few bytes for incompressible input), so
  // reusing one string keeps memory bounded by the largest piece.
  void write(std::string_view in, bool last, std::string& out);

 private:
  z_stream stream_{};
};

}  // namespace wgevents
