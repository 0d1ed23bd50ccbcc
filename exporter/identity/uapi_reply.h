// Decodes the reply of a userspace WireGuard implementation (wireguard-go, boringtun,
// amneziawg-go) to the UAPI request `get=1`: `key=value` lines, device keys first, then each
// peer from its `public_key=` line on, ending with `errno=N` and an empty line.
// (https://www.wireguard.com/xplatform/, "Configuration Protocol")
//
// No I/O: bytes go in as they arrive, in pieces of any size (asio's request_parser manner), so
// it is tested byte by byte and fuzzed without a socket. The value of `private_key=` and
// `preshared_key=` lines is skipped as it streams past, never stored; keys unknown to the
// exporter (amneziawg's `jc=`, future additions) are ignored.
//
// Not thread-safe; one parser per reply.
#pragma once

#include <string>
#include <string_view>

#include "identity/peer_table.h"

namespace wgevents {

class UapiReplyParser {
 public:
  enum class Status { more, done, failed };

  UapiReplyParser(std::string interface_name, TableLimits limits = {});

  // Takes the next bytes of the reply. `done` after `errno=0` and the empty line that ends the
  // reply; `failed` for an error reply (`errno=N`, N not 0) or a line the protocol does not
  // allow. Once done or failed, further bytes are ignored.
  Status feed(std::string_view bytes);
  Status status() const { return status_; }
  // Why it failed, for the log: a fixed phrase and at most a key name, never a value.
  const std::string& error() const { return error_; }

  // The table read so far (complete once done).
  InterfaceTable& table() { return table_; }

  // A line longer than this is not UAPI: the longest real one is a 64-digit key.
  static constexpr std::size_t kMaxLineBytes = 512;

 private:
  void fail(std::string reason);
  void take_line(std::string_view key, std::string_view value);

  TableLimits limits_;
  InterfaceTable table_;
  Status status_ = Status::more;
  std::string error_;
  std::string key_;              // the current line's key, until its `=`
  std::string value_;            // the current line's value, until its newline
  bool in_value_ = false;        // past the `=` of the current line
  bool skipping_secret_ = false; // the current line holds a secret key: its value is dropped
  bool in_peer_ = false;         // a `public_key=` line has started a peer
  bool errno_seen_ = false;
  std::int64_t handshake_sec_ = 0;
};

// `192.0.2.1:51820`, `[2001:db8::1]:51820`, `[fe80::1%3]:51820` (a zone that is not a number
// is dropped); false when malformed.
bool parse_endpoint_text(std::string_view text, Endpoint& out);
// `10.7.0.2/32`, `fd00::/64`; false when malformed or the prefix is too long for the family.
bool parse_allowed_ip(std::string_view text, AllowedIp& out);

}  // namespace wgevents
