// Decodes the kernel's answer to a generic netlink WG_CMD_GET_DEVICE dump
// (include/uapi/linux/wireguard.h) into an InterfaceTable.
//
// No I/O: each datagram read from the socket goes in as bytes, so the decoder is tested on
// recorded dumps and fuzzed without a kernel. Attributes are walked with libmnl's bounds-checked
// helpers. The device's private key and the peers' preshared keys are never looked at: their
// attributes are skipped by type (the reader wipes its receive buffer after each datagram).
//
// A big peer list arrives in many messages, and a peer whose allowed IPs do not fit one
// message is continued in the next, starting again with the same public key: its blocks are
// added to that peer rather than making a second one.
//
// Not thread-safe; one decoder per dump.
#pragma once

#include <cstddef>
#include <string>

#include "identity/peer_table.h"

namespace wgevents {

class DeviceDumpDecoder {
 public:
  enum class Status { more, done, failed };

  explicit DeviceDumpDecoder(std::string interface_name, TableLimits limits = {});

  // One datagram of the dump: any number of netlink messages. `done` at NLMSG_DONE; `failed`
  // for an error message or bytes that are not well-formed netlink (error() says which).
  Status feed(const void* data, std::size_t size);
  Status status() const { return status_; }
  // The kernel's errno for an error message (EPERM without CAP_NET_ADMIN, ENODEV when the
  // interface went away), else 0.
  int error_number() const { return error_number_; }
  const std::string& error() const { return error_; }

  InterfaceTable& table() { return table_; }

  // Called by the attribute walkers (libmnl callbacks); not for use from outside.
  struct Walk;

 private:
  TableLimits limits_;
  InterfaceTable table_;
  Status status_ = Status::more;
  int error_number_ = 0;
  std::string error_;
};

}  // namespace wgevents
