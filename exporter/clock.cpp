#include "clock.h"

#include <ctime>

namespace wgevents {
namespace {
double seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}
}  // namespace

int Clock::current_year() const {
  const auto local = static_cast<std::time_t>(now()) + utc_offset();
  std::tm tm{};
  gmtime_r(&local, &tm);
  return tm.tm_year + 1900;
}

double SystemClock::now() const { return seconds(CLOCK_REALTIME); }
// The coarse clock costs a fraction of the precise one, and this runs per message.
double SystemClock::receipt_time() const { return seconds(CLOCK_REALTIME_COARSE); }
double SystemClock::since_boot() const { return seconds(CLOCK_MONOTONIC_COARSE); }

long SystemClock::utc_offset() const {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  return local.tm_gmtoff;
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace wgevents
