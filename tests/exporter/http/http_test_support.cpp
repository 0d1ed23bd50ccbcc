#include "http_test_support.h"

#include <boost/system/system_error.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <zlib.h>

#include <cerrno>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <future>

namespace wgevents::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

bool NumberedLines::next(std::string& out) {
  ++calls_;
  const std::size_t end = std::min(total_, produced_ + piece_);
  while (produced_ < end) {
    if (line_.empty()) line_ = "wireguard_test_line{n=\"" + std::to_string(line_number_++) + "\"} 1\n";
    const std::size_t take = std::min(line_.size(), end - produced_);
    out.append(line_, 0, take);
    line_.erase(0, take);
    produced_ += take;
  }
  return produced_ < total_;
}

std::string NumberedLines::whole(std::size_t total) {
  NumberedLines all(total, total);
  std::string out;
  all.next(out);
  return out;
}

RunningServer::RunningServer(HttpRoutes routes, std::shared_ptr<const WebConfig> config,
                             HttpServerLimits limits) {
  server_.emplace(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0), std::move(routes),
                  limits, std::move(config));
  const auto ec = server_->start();
  if (ec) throw boost::system::system_error(ec, "HttpServer::start");
  thread_ = std::thread([this] { io_.run(); });
}

std::string RunningServer::reload() {
  std::promise<std::string> result;
  asio::post(io_, [&] { result.set_value(server_->reload_web_config()); });
  return result.get_future().get();
}

void RunningServer::stop_and_join() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] { server_->stop(); });
  thread_.join();
}

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char chunk[64 * 1024];
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
  }
  inflateEnd(&stream);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

bool closed_within(int fd, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char drain[16384];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = ::recv(fd, drain, sizeof drain, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return errno == ECONNRESET;
  }
}

}  // namespace wgevents::test
