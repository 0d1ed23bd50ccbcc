// Reading peer tables from the running system: the kernel's WireGuard over generic netlink,
// and userspace implementations over their UAPI sockets. Each read is bounded by a deadline
// (sockets are non-blocking and polled), so a stuck implementation delays a scrape by at most
// that long. Nothing here changes WireGuard's configuration: the kernel gets only
// WG_CMD_GET_DEVICE, a UAPI socket only `get=1`.
//
// Receive buffers are wiped after each datagram or read, since they briefly hold the
// device's private key (the kernel and UAPI both send it to a reader with the right).
//
// Synchronous; each call opens and closes its own sockets. Not thread-safe (one reader per
// thread); the exporter calls it on its io_context thread at scrape time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "identity/peer_table.h"

namespace wgevents {

using Deadline = std::chrono::steady_clock::time_point;

// One interface's read: the table, or why there is none.
struct TableRead {
  std::optional<InterfaceTable> table;
  std::string error;     // for the log: a short phrase, never a key
  int error_number = 0;  // errno where one applies (EPERM: CAP_NET_ADMIN missing)
};

// A WireGuard interface the kernel knows in this network namespace.
struct KernelInterface {
  std::uint32_t index = 0;
  std::string name;
};

// The kernel's WireGuard over netlink (rtnetlink to find the interfaces, generic netlink for
// their tables).
class KernelTableReader {
 public:
  KernelTableReader();
  ~KernelTableReader();
  KernelTableReader(const KernelTableReader&) = delete;
  KernelTableReader& operator=(const KernelTableReader&) = delete;

  // Links of kind `wireguard`, in the order the kernel lists them. nullopt when netlink could
  // not be asked (`error` says why).
  std::optional<std::vector<KernelInterface>> list_interfaces(Deadline deadline, std::string& error);
  // The table of one of them (WG_CMD_GET_DEVICE). Needs CAP_NET_ADMIN.
  TableRead read(const KernelInterface& interface, Deadline deadline, const TableLimits& limits);

 private:
  // The generic netlink family id of `wireguard`, looked up once; 0 while unknown.
  std::uint16_t family_id(Deadline deadline, std::string& error, int& error_number);

  std::vector<char> buffer_;  // one receive buffer, reused
  std::uint16_t family_ = 0;
};

// Interface names of the UAPI sockets in `dir` (`wg1.sock` -> `wg1`), sorted; names that are
// not valid interface names are left out. Empty when the directory cannot be read.
std::vector<std::string> list_uapi_interfaces(const std::string& dir);

// Asks `<dir>/<name>.sock` for its table (`get=1`).
TableRead read_uapi_table(const std::string& dir, const std::string& name, Deadline deadline,
                          const TableLimits& limits);

// Whether this process may read the kernel's tables: CAP_NET_ADMIN in its effective set.
bool has_net_admin();

}  // namespace wgevents
