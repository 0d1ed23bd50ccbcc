// The identity families of the metrics page (docs/metrics.md, "Peer identity"), written from one
// PeerIdentitySnapshot (identity/peer_identity.h) a peer or an interface at a time.
//
// Owned by the page being written (MetricsPage), with the snapshot it shares; used on the
// io_context thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "identity/peer_identity.h"

namespace wgevents {

// Writes the identity families of one snapshot, a peer (or interface) at a time, so the page
// can stop after any row and go on in its next piece.
class PeerIdentityRows {
 public:
  enum class Family { info, receive_bytes, transmit_bytes, allowed_ips, table_reads, unresolved };

  explicit PeerIdentityRows(std::shared_ptr<const PeerIdentitySnapshot> snapshot) : snapshot_(std::move(snapshot)) {}

  // Writes the next rows of `family`; false (and ready for the next family) when it is done.
  bool write_next(Family family, std::string& out);
  const PeerIdentitySnapshot& snapshot() const { return *snapshot_; }

 private:
  std::shared_ptr<const PeerIdentitySnapshot> snapshot_;
  std::size_t interface_ = 0;
  std::size_t peer_ = 0;
  std::map<std::string, std::array<std::uint64_t, 2>>::const_iterator reads_{};
  bool reads_started_ = false;
};

}  // namespace wgevents
