#include "socket_address.h"

#include <netinet/in.h>

#include <cstring>

namespace wgevents {

MessageSource message_source_from(const sockaddr* address) {
  MessageSource source;
  if (address->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    source.address.family = IpAddress::Family::ipv4;
    std::memcpy(source.address.bytes.data(), &v4.sin_addr, 4);
    source.port = ntohs(v4.sin_port);
  } else if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&v6.sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      source.address.family = IpAddress::Family::ipv4;
      std::memcpy(source.address.bytes.data(), bytes + 12, 4);
    } else {
      source.address.family = IpAddress::Family::ipv6;
      std::memcpy(source.address.bytes.data(), bytes, 16);
    }
    source.port = ntohs(v6.sin6_port);
  }
  return source;
}

}  // namespace wgevents
