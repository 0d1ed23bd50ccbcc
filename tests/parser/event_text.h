// Renders what the parser returned as `key=value` text, so that test data can say it plainly.
#pragma once

#include <arpa/inet.h>

#include <string>

#include <fmt/format.h>

#include "wgevents/parser/event.h"

namespace wgevents::testing {

inline std::string address_text(const IpAddress& a) {
  char buffer[INET6_ADDRSTRLEN];
  int af = a.family == IpAddress::Family::ipv4 ? AF_INET : AF_INET6;
  return inet_ntop(af, a.bytes.data(), buffer, sizeof buffer) ? buffer : "?";
}

// The kernel's `%pISpfsc` form.
inline std::string endpoint_text(const Endpoint& e) {
  if (e.address.family == IpAddress::Family::ipv4) {
    return fmt::format("{}:{}", address_text(e.address), e.port);
  }
  return fmt::format("[{}]:{}/{}%{}", address_text(e.address), e.port, e.flowinfo, e.scope_id);
}

inline std::string fields_text(const Event& e) {
  std::string out;
  auto add = [&out](const std::string& field) {
    if (!out.empty()) out += ' ';
    out += field;
  };
  if (e.has_peer && e.peer_naming == PeerNaming::key_abbreviation) {
    char printed[kKeyAbbreviationBytes];
    add("peer=" + std::string(printed, write_key_abbreviation(e.peer, printed)));
  } else if (e.has_peer) {
    add(fmt::format("peer={}", e.peer));
  }
  if (e.endpoint.known()) add("endpoint=" + endpoint_text(e.endpoint));
  if (e.address.known()) add("address=" + address_text(e.address));
  if (e.keypair_id) add(fmt::format("keypair={}", e.keypair_id));
  if (e.completes_handshake) add("completes_handshake");
  if (e.attempts) add(fmt::format("attempts={}", e.attempts));
  if (e.seconds) add(fmt::format("seconds={}", e.seconds));
  if (e.try_number) add(fmt::format("try={}", e.try_number));
  if (e.error) add(fmt::format("error={}", e.error));
  if (e.nonce) add(fmt::format("nonce={}", e.nonce));
  if (e.nonce_max) add(fmt::format("nonce_max={}", e.nonce_max));
  if (e.suppressed) add(fmt::format("suppressed={}", e.suppressed));
  return out;
}

}  // namespace wgevents::testing
