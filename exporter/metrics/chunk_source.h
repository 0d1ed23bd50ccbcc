// The metrics page as HTTP serves it: a body produced in pieces, so that a 20 MB page never sits in
// memory at once and the io_context takes in lines between pieces. Metrics implement it
// (MetricsPage); the HTTP server (wgevents/http/server.h) calls it, and depends on this header,
// not the reverse.
#pragma once

#include <string>

namespace wgevents {

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // Appends the next piece (aim for about 64 KiB) to `out`, which the caller has emptied; returns
  // false once nothing follows (the last call may append a final piece, or nothing). Called on the
  // io_context thread, once per piece, only after the previous piece was handed to the socket. An
  // exception aborts the response: the connection is closed without the final chunk, so the client
  // sees a truncated page rather than a short, valid-looking one.
  virtual bool next(std::string& out) = 0;
};

}  // namespace wgevents
