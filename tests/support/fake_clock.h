// A clock that stands still until the test moves it (exporter/clock.h), so that a page with
// handshake ages and receipt times is the same on every run.
#pragma once

#include "clock.h"

namespace wgevents::testing {

class FakeClock final : public Clock {
 public:
  // `unix_time`: now; the machine booted `uptime` seconds before it.
  explicit FakeClock(double unix_time, double uptime = 1000) : now_(unix_time), boot_(unix_time - uptime) {}

  double now() const override { return now_; }
  double receipt_time() const override { return now_; }
  double since_boot() const override { return now_ - boot_; }
  long utc_offset() const override { return 0; }  // the fake machine's local time is UTC

  void advance(double seconds) { now_ += seconds; }

 private:
  double now_;
  double boot_;
};

}  // namespace wgevents::testing
