// A stand-in for a userspace WireGuard implementation's UAPI socket: listens on
// <dir>/<interface>.sock and answers every connection's request with a fixed reply, on a
// thread of its own, until destroyed. For tests and benchmarks that need a peer table of a
// chosen size or content without running WireGuard.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wgevents::testing {

class FakeUapiServer {
 public:
  FakeUapiServer(const std::string& dir, const std::string& interface, std::string reply)
      : path_(dir + "/" + interface + ".sock"), reply_(std::move(reply)) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0) {
      throw std::runtime_error("cannot listen on " + path_);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUapiServer() {
    shutdown(fd_, SHUT_RDWR);  // wakes the accept()
    thread_.join();
    close(fd_);
    unlink(path_.c_str());
  }
  FakeUapiServer(const FakeUapiServer&) = delete;
  FakeUapiServer& operator=(const FakeUapiServer&) = delete;

  // Requests received so far (each up to its empty line), counted before the reply.
  int requests() const { return requests_.load(); }
  bool all_requests_were_get() const { return all_get_.load(); }

 private:
  void serve() {
    for (;;) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buffer[64];
      while (request.find("\n\n") == std::string::npos && request.size() < 4096) {
        const ssize_t n = recv(c, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
      }
      if (request != "get=1\n\n") all_get_ = false;
      ++requests_;  // before the reply: the client may check the count as soon as it has it
      std::size_t sent = 0;
      while (sent < reply_.size()) {
        const ssize_t n = send(c, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      close(c);
    }
  }

  std::string path_;
  std::string reply_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::atomic<bool> all_get_{true};
};

}  // namespace wgevents::testing
