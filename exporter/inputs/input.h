// What the exporter starts and stops: every source of messages (UDP, TCP, TLS, kmsg, a replayed
// file) is an Input, so that start-up, the IPv4 fallback and shutdown are one loop over them in
// Exporter (exporter.h). The HTTP server follows the same convention without being an input.
//
// Convention (errors.h): start() returns the system's error with nothing left open; stop()
// cancels, so that pending handlers complete with operation_aborted and io_context::run()
// returns once nothing is left. Both run on the io_context's thread.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/system/error_code.hpp>

namespace wgevents {

class Input {
 public:
  virtual ~Input() = default;
  // Opens what the input reads (binds a socket, opens a device or file) and starts reading.
  virtual boost::system::error_code start() = 0;
  // Closes it; the pending operation completes with operation_aborted. Idempotent.
  virtual void stop() = 0;
};

}  // namespace wgevents
