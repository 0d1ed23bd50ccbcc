// Where bcrypt runs for the HTTP server: one thread of its own, so that password checks queue
// behind each other instead of taking every core, and never run on the io_context thread.
//
// At most kMaxPending checks wait: a flood of wrong passwords costs a bounded backlog, and a
// client that finds the queue full is told so (post() returns false; the server answers 503).
// stop() drops every check not begun, so shutdown waits for one bcrypt run at most.
//
// Owned by HttpServer, which destroys it (joining the thread) before the io_context the checks
// post their answers to can go away. post() and stop() are called on the io_context thread; the
// checks run on the password thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace wgevents {

class PasswordCheckThread {
 public:
  // A scraper or two and a few probes each need one check per configuration, then are
  // remembered (basic_auth::VerifiedCredentials); more than this waiting is a flood.
  static constexpr std::size_t kMaxPending = 8;

  PasswordCheckThread();
  // Stops, then joins the thread (after the check under way, if any).
  ~PasswordCheckThread();
  PasswordCheckThread(const PasswordCheckThread&) = delete;
  PasswordCheckThread& operator=(const PasswordCheckThread&) = delete;

  // Queues `check`; false (and `check` destroyed here) when kMaxPending wait or after stop().
  bool post(std::function<void()> check);
  // Drops every check not begun (destroying them on the caller's thread); later posts fail.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> pending_;
  bool stopped_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace wgevents
