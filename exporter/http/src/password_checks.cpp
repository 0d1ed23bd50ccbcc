#include "password_checks.h"

#include <utility>

namespace wgevents {

PasswordCheckThread::PasswordCheckThread() : thread_([this] { run(); }) {}

PasswordCheckThread::~PasswordCheckThread() {
  stop();
  thread_.join();
}

bool PasswordCheckThread::post(std::function<void()> check) {
  std::lock_guard lock(mutex_);
  if (stopped_ || pending_.size() >= kMaxPending) return false;
  pending_.push_back(std::move(check));
  wake_.notify_one();
  return true;
}

void PasswordCheckThread::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    dropped.swap(pending_);
  }
  wake_.notify_all();
  // `dropped` goes here, outside the lock, with the connections and work guards it holds.
}

void PasswordCheckThread::run() {
  while (true) {
    std::function<void()> check;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopped_ || !pending_.empty(); });
      if (stopped_) return;
      check = std::move(pending_.front());
      pending_.pop_front();
    }
    check();
  }
}

}  // namespace wgevents
