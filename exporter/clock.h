// The exporter's sense of time, injected so that tests can hold it still.
//
// The pipeline stamps each message with receipt_time(), kmsg records are placed on the Unix
// time line through since_boot(), syslog lines without a year take it from calendar(), and
// each scrape uses now() for the handshake ages. SystemClock reads the real clocks; a test
// passes a clock of its own (tests/exporter/fake_clock.h) and gets the same page every run.
//
// Thread-safety: the exporter calls it from its io_context thread only; SystemClock is
// stateless and safe from any thread.
#pragma once

namespace wgevents {

class Clock {
 public:
  virtual ~Clock() = default;

  // Unix time now, precise: for a scrape.
  virtual double now() const = 0;
  // Unix time of the receipt of a message. May be coarse (a few milliseconds, far finer than any
  // scrape): it is read once per message.
  virtual double receipt_time() const = 0;
  // Seconds since boot on CLOCK_MONOTONIC, the base of the kernel's kmsg stamps.
  virtual double since_boot() const = 0;
  // Seconds east of UTC of the local time zone now, for syslog headers in local time (RFC 3164).
  virtual long utc_offset() const = 0;

  // The local calendar year now, for syslog timestamps that carry none.
  int current_year() const;
};

// The system's clocks: CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE and the
// local time zone.
class SystemClock final : public Clock {
 public:
  double now() const override;
  double receipt_time() const override;
  double since_boot() const override;
  long utc_offset() const override;
};

// One SystemClock for everybody who does not bring a clock.
const Clock& system_clock();

}  // namespace wgevents
