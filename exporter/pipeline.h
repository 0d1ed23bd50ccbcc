// The one path every message takes: count it, check its sender, parse it, apply it to the
// state. Inputs call it (MessageSink); nothing else writes to WireguardState or SelfMetrics.
//
// Used on the io_context thread only. Allocates nothing per message once peers are known.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clock.h"
#include "inputs/message.h"
#include "metrics/self_metrics.h"
#include "state/wireguard_state.h"
#include "wgevents/config/addresses.h"
#include "wgevents/parser/parse.h"

namespace wgevents {

class Pipeline : public MessageSink {
 public:
  // `host_label`: fleet mode (--syslog.host-label): state is kept per sending host, named by
  // the syslog HOSTNAME, else the sender's address, else this machine's name (files, kmsg).
  // `clock` stamps the messages and must outlive the pipeline; the year and time zone of
  // syslog timestamps without them are taken from it once, here.
  Pipeline(const Parser& parser, WireguardState& state, SelfMetrics& self,
           std::vector<Cidr> allowed_sources, bool host_label = false,
           const Clock& clock = system_clock());

  void on_message(Transport transport, std::string_view message, const MessageSource& source) override;
  void on_malformed_frame(Transport transport, std::size_t bytes, const MessageSource& source) override;
  void on_receive_drops(Transport transport, std::uint64_t count) override;
  void on_connection_refused(Transport transport) override;
  bool accepts(const MessageSource& source) const override { return allowed(source); }

  // How many hosts' lines are counted (the wireguard_events_exporter_hosts gauge): in fleet mode
  // every host seen so far (WireguardState::hosts() names them); otherwise this one machine.
  std::size_t hosts_sending() const { return host_label_ ? state_.hosts().size() : 1; }
  // Their names in fleet mode; none otherwise (the one host is this machine, and unnamed).
  std::span<const std::string> host_names() const {
    return host_label_ ? std::span<const std::string>(state_.hosts()) : std::span<const std::string>();
  }

 private:
  bool allowed(const MessageSource& source) const;
  // The host a message is counted for; empty outside fleet mode, nullopt when the message's
  // HOSTNAME is not a printable name.
  std::optional<std::string_view> host_of(const ParseResult& result, const MessageSource& source);
  // Lines received live are stamped with the time of receipt; lines replayed from a file with
  // their own syslog timestamp where it is a full one (metrics.md, "Time"); kmsg records with
  // the kernel's own time of logging.
  double event_time(Transport transport, const ParseResult& result, double now) const;
  // The line's time for handshake durations (metrics.md, "Handshake timing"): the kmsg record's
  // or the printk prefix's microsecond stamp, a header stamp with a fraction of a second, else the precise receipt time
  // for live input; kNoStamp for a replayed line stamped in whole seconds. Read only for the
  // events that time a handshake.
  double duration_stamp(Transport transport, const ParseResult& result) const;

  const Clock& clock_;
  const Parser& parser_;
  WireguardState& state_;
  SelfMetrics& self_;
  std::vector<Cidr> allowed_sources_;
  bool host_label_ = false;
  std::string local_host_;
  char source_text_[64] = {};  // the sender's address as text, for host_of()
  long local_utc_offset_ = 0;  // for syslog headers in local time (RFC 3164)
  int current_year_ = 1970;
  double boot_time_ = 0;  // Unix time of boot, read once: kmsg stamps are offsets from it
};

}  // namespace wgevents
