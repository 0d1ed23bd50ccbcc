// What the HTTP server tests share: a numbered page source, a server running on its own thread,
// and gunzip for checking compressed pages.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <chrono>
#include <string>
#include <thread>

#include "wgevents/http/server.h"
#include "wgevents/http/web_config.h"

namespace wgevents::test {

// Exposition-like text, `total` bytes in pieces of `piece` bytes; every line numbered, so a lost,
// repeated or reordered piece shows in the comparison.
class NumberedLines : public ChunkSource {
 public:
  explicit NumberedLines(std::size_t total, std::size_t piece = 64 * 1024)
      : total_(total), piece_(piece) {}
  bool next(std::string& out) override;
  std::size_t calls() const { return calls_; }

  // The whole page, as a client should receive it.
  static std::string whole(std::size_t total);

 private:
  std::size_t total_;
  std::size_t piece_;
  std::size_t produced_ = 0;
  std::size_t line_number_ = 0;
  std::string line_;
  std::size_t calls_ = 0;
};

// A server on 127.0.0.1:0 whose io_context runs on a thread of its own.
class RunningServer {
 public:
  explicit RunningServer(HttpRoutes routes, HttpServerLimits limits = {})
      : RunningServer(std::move(routes), nullptr, limits) {}
  RunningServer(HttpRoutes routes, std::shared_ptr<const WebConfig> config,
                HttpServerLimits limits = {});
  ~RunningServer() { stop_and_join(); }

  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  // reload_web_config() on the server's thread, as a SIGHUP handler would call it.
  std::string reload();

  // Stops the server from its own thread and waits for run() to return.
  void stop_and_join();

  boost::asio::ip::tcp::endpoint endpoint() const { return server_->local_endpoint(); }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  std::optional<HttpServer> server_;
  std::thread thread_;
};

// Inflates a gzip stream; the test fails if it is not one, complete.
std::string gunzip(const std::string& compressed);

// Whether the server closes the connection on socket `fd` within `wait`, reading (and dropping)
// whatever it sends first. The bound keeps a test from hanging on a server that never closes;
// the deadlines under test are far shorter.
bool closed_within(int fd, std::chrono::milliseconds wait);

// Reads and drops whatever comes until the connection ends (blocking); returns what ended it, e.g.
// eof for a clean close.
template <class SyncReadStream>
boost::system::error_code read_until_closed(SyncReadStream& stream) {
  char byte;
  boost::system::error_code ec;
  while (!ec) stream.read_some(boost::asio::buffer(&byte, 1), ec);
  return ec;
}

}  // namespace wgevents::test
