// The /metrics page, written family by family straight from WireguardState.
//
// No series objects exist between scrapes: each scrape walks the peer slots and writes text
// in pieces of about 64 KiB, so 10,000 peers x 19 events cost a 64 KiB buffer, not hundreds of
// MB of label strings. A piece ends after the rows of one peer, one interface's events, or one
// no_route row that take it past kPieceBytes, so no piece exceeds kMaxPieceBytes whatever the
// state holds. Between pieces the io_context goes on taking in lines; a peer removed meanwhile
// may be missing from some families of that one scrape, and a peer added meanwhile is in none
// (so a peer evicted and seen again is never written twice).
//
// The state and self metrics must outlive the page. Used on the io_context thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "metrics/identity_rows.h"

#include "metrics/self_metrics.h"
#include "state/wireguard_state.h"
#include "metrics/chunk_source.h"

namespace wgevents {

struct PageOptions {
  bool endpoint_label = true;  // --endpoint-label: export wireguard_peer_endpoint_info
  bool host_label = false;     // --syslog.host-label: every domain series carries `host`
};

class MetricsPage : public ChunkSource {
 public:
  // `now`: Unix time of the scrape, for wireguard_peer_last_handshake_age_seconds.
  // `identity`: this scrape's peer tables (docs/metrics.md, "Peer identity"); without one the
  // page has no identity families.
  MetricsPage(const WireguardState& state, const SelfMetrics& self, PageOptions options, double now,
              std::shared_ptr<const PeerIdentitySnapshot> identity = nullptr);

  bool next(std::string& out) override;

  // The whole page at once (for --replay --once).
  std::string render_all();

  static constexpr std::size_t kPieceBytes = 64 * 1024;
  // The most one piece can hold: kPieceBytes plus the largest group of rows written at once (a
  // peer's 19 event rows with a 255-byte host name, all escaped, is about 13 KiB).
  static constexpr std::size_t kMaxPieceBytes = kPieceBytes + 32 * 1024;

 private:
  void write_header(std::string& out) const;
  // Writes the rows of one peer or interface (or the next rows of a family that walks its own
  // list) at `position_`; false when the section is done.
  bool write_rows(std::string& out);

  const WireguardState& state_;
  const SelfMetrics& self_;
  PageOptions options_;
  double now_;
  std::optional<PeerIdentityRows> identity_;
  std::uint64_t peers_created_;  // the state's count when the page began: newer peers are skipped
  std::size_t section_ = 0;  // index into the sections (metrics_page.cpp, kSections)
  bool header_written_ = false;
  std::size_t position_ = 0;  // peer slot or interface index within the section
  std::size_t entry_ = 0;     // the row within the interface's list (no_route)
};

// Prometheus text format label value: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view value);
// `192.0.2.1:51820`, `[2001:db8::1]:51820`, `[fe80::1%3]:51820` (flowinfo dropped).
void append_endpoint_label(std::string& out, const Endpoint& endpoint);
// The symbolic name of a negated kernel errno (`-101` -> `ENETUNREACH`), else the code itself.
void append_errno_label(std::string& out, std::int32_t error);

}  // namespace wgevents
