// libFuzzer target: any bytes as what a peer table source answers. The first byte chooses:
//   even: a UAPI `get=1` reply, fed to UapiReplyParser once whole and once one byte per call;
//         both must end in the same status with the same peers (the decoder keeps no state
//         that depends on how the bytes were cut);
//   odd:  a generic netlink datagram of a WG_CMD_GET_DEVICE dump, fed to DeviceDumpDecoder
//         (copied to an aligned buffer, as a socket read would be), then again as two
//         datagrams cut at a point chosen from the input.
// Either way no table may hold more than its limits. A violation aborts, so libFuzzer keeps
// the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "identity/device_dump.h"
#include "identity/uapi_reply.h"

namespace {

using namespace wgevents;

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "peer table invariant violated: %s\n", what);
  std::abort();
}

constexpr TableLimits kLimits{8, 4};  // small, so that inputs can reach them

void check_limits(const InterfaceTable& table) {
  if (table.peers.size() > kLimits.max_peers) violated("more peers than max_peers");
  for (const auto& peer : table.peers) {
    if (peer.allowed_ips.size() > kLimits.max_allowed_ips) violated("more allowed IPs than max_allowed_ips");
  }
}

bool same_peers(const InterfaceTable& a, const InterfaceTable& b) {
  if (a.peers.size() != b.peers.size() || a.peers_dropped != b.peers_dropped) return false;
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    const auto &p = a.peers[i], &q = b.peers[i];
    if (p.public_key != q.public_key || !(p.endpoint == q.endpoint) || p.receive_bytes != q.receive_bytes ||
        p.transmit_bytes != q.transmit_bytes || p.allowed_ips != q.allowed_ips) {
      return false;
    }
  }
  return true;
}

void fuzz_uapi(std::string_view reply) {
  UapiReplyParser whole("wg0", kLimits);
  whole.feed(reply);
  UapiReplyParser bytes("wg0", kLimits);
  for (char c : reply) bytes.feed(std::string_view(&c, 1));
  if (whole.status() != bytes.status()) violated("status depends on how the reply was cut");
  if (whole.status() == UapiReplyParser::Status::done && !same_peers(whole.table(), bytes.table())) {
    violated("peers depend on how the reply was cut");
  }
  check_limits(whole.table());
  check_limits(bytes.table());
}

void fuzz_netlink(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint64_t> aligned((size + 7) / 8 + 1);
  std::memcpy(aligned.data(), data, size);
  DeviceDumpDecoder one("wg0", kLimits);
  one.feed(aligned.data(), size);
  check_limits(one.table());

  const std::size_t cut = size == 0 ? 0 : (data[0] * 4u) % size;
  DeviceDumpDecoder two("wg0", kLimits);
  std::vector<std::uint64_t> second((size - cut) / 8 + 1);
  std::memcpy(second.data(), data + cut, size - cut);
  if (two.feed(aligned.data(), cut) == DeviceDumpDecoder::Status::more) two.feed(second.data(), size - cut);
  check_limits(two.table());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    fuzz_uapi(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    fuzz_netlink(data + 1, size - 1);
  }
  return 0;
}
