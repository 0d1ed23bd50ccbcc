#include "table_readers.h"

#include <dirent.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "identity/device_dump.h"
#include "identity/uapi_reply.h"

namespace wgevents {
namespace {

// A netlink dump reply may use messages up to 32 KiB (the kernel sizes them to the reader's
// buffer, up to that); a smaller buffer would truncate them.
constexpr std::size_t kNetlinkBufferBytes = 32 * 1024;

int milliseconds_left(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 60000));
}

// Waits until `fd` is ready for `events`; false at the deadline.
bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int result = poll(&p, 1, milliseconds_left(deadline));
    if (result > 0) return true;
    if (result == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A netlink socket that closes itself.
struct NetlinkSocket {
  mnl_socket* socket = nullptr;
  explicit NetlinkSocket(int bus) {
    socket = mnl_socket_open2(bus, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (socket != nullptr && mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
      mnl_socket_close(socket);
      socket = nullptr;
    }
  }
  ~NetlinkSocket() {
    if (socket != nullptr) mnl_socket_close(socket);
  }
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
};

// Sends `request` and hands each datagram of the reply to `take` until it returns false.
// Returns 0, or an errno (ETIMEDOUT at the deadline).
int exchange(NetlinkSocket& nl, nlmsghdr* request, std::vector<char>& buffer, Deadline deadline,
             const std::function<bool(const char*, std::size_t)>& take) {
  if (nl.socket == nullptr) return errno != 0 ? errno : EIO;
  const unsigned port = mnl_socket_get_portid(nl.socket);
  const unsigned sequence = request->nlmsg_seq;
  if (mnl_socket_sendto(nl.socket, request, request->nlmsg_len) < 0) return errno;
  const int fd = mnl_socket_get_fd(nl.socket);
  for (;;) {
    const ssize_t got = mnl_socket_recvfrom(nl.socket, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_for(fd, POLLIN, deadline)) return ETIMEDOUT;
        continue;
      }
      if (errno == EINTR) continue;
      return errno;  // ENOSPC: a message larger than the buffer
    }
    // Replies to another request of this socket cannot arrive (one request at a time), but a
    // datagram for another sequence is dropped rather than decoded.
    bool ours = true;
    int remaining = static_cast<int>(got);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(m, remaining);
         m = mnl_nlmsg_next(m, &remaining)) {
      if (!mnl_nlmsg_seq_ok(m, sequence) || !mnl_nlmsg_portid_ok(m, port)) ours = false;
    }
    const bool more = !ours || take(buffer.data(), static_cast<std::size_t>(got));
    explicit_bzero(buffer.data(), static_cast<std::size_t>(got));
    if (!more) return 0;
  }
}

unsigned next_sequence() {
  static unsigned sequence = static_cast<unsigned>(time(nullptr));
  return ++sequence;
}

struct LinkWalk {
  std::vector<KernelInterface>* out;
  std::string name;
  bool wireguard = false;
};

int on_link_info(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<LinkWalk*>(data);
  if (mnl_attr_get_type(attribute) == IFLA_INFO_KIND && mnl_attr_validate(attribute, MNL_TYPE_STRING) >= 0) {
    walk.wireguard = std::strcmp(mnl_attr_get_str(attribute), "wireguard") == 0;
  }
  return MNL_CB_OK;
}

int on_link_attribute(const nlattr* attribute, void* data) {
  auto& walk = *static_cast<LinkWalk*>(data);
  switch (mnl_attr_get_type(attribute)) {
    case IFLA_IFNAME:
      if (mnl_attr_validate(attribute, MNL_TYPE_STRING) >= 0) walk.name = mnl_attr_get_str(attribute);
      break;
    case IFLA_LINKINFO:
      mnl_attr_parse_nested(attribute, on_link_info, data);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

int on_link(const nlmsghdr* message, void* data) {
  auto& walk = *static_cast<LinkWalk*>(data);
  if (mnl_nlmsg_get_payload_len(message) < sizeof(ifinfomsg)) return MNL_CB_ERROR;
  const auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
  walk.name.clear();
  walk.wireguard = false;
  mnl_attr_parse(message, sizeof(ifinfomsg), on_link_attribute, data);
  if (walk.wireguard && valid_interface_name(walk.name)) {
    walk.out->push_back({static_cast<std::uint32_t>(info->ifi_index), walk.name});
  }
  return MNL_CB_OK;
}

int on_family_attribute(const nlattr* attribute, void* data) {
  if (mnl_attr_get_type(attribute) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(attribute, MNL_TYPE_U16) >= 0) {
    *static_cast<std::uint16_t*>(data) = mnl_attr_get_u16(attribute);
  }
  return MNL_CB_OK;
}

int on_family(const nlmsghdr* message, void* data) {
  if (mnl_nlmsg_get_payload_len(message) < sizeof(genlmsghdr)) return MNL_CB_ERROR;
  mnl_attr_parse(message, sizeof(genlmsghdr), on_family_attribute, data);
  return MNL_CB_OK;
}

}  // namespace

KernelTableReader::KernelTableReader() : buffer_(kNetlinkBufferBytes) {}
KernelTableReader::~KernelTableReader() = default;

std::optional<std::vector<KernelInterface>> KernelTableReader::list_interfaces(Deadline deadline, std::string& error) {
  NetlinkSocket nl(NETLINK_ROUTE);
  alignas(nlmsghdr) char request_buffer[256] = {};  // a header, one attribute
  nlmsghdr* request = mnl_nlmsg_put_header(request_buffer);
  request->nlmsg_type = RTM_GETLINK;
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request->nlmsg_seq = next_sequence();
  auto* info = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(request, sizeof(ifinfomsg)));
  info->ifi_family = AF_UNSPEC;

  std::vector<KernelInterface> interfaces;
  LinkWalk walk{&interfaces, {}, false};
  bool failed = false;
  const int result = exchange(nl, request, buffer_, deadline, [&](const char* data, std::size_t size) {
    const int run = mnl_cb_run(data, size, 0, 0, on_link, &walk);
    if (run == MNL_CB_ERROR) failed = true;
    return run == MNL_CB_OK;
  });
  if (result != 0 || failed) {
    error = std::string("listing links: ") + std::strerror(result != 0 ? result : errno);
    return std::nullopt;
  }
  return interfaces;
}

std::uint16_t KernelTableReader::family_id(Deadline deadline, std::string& error, int& error_number) {
  if (family_ != 0) return family_;
  NetlinkSocket nl(NETLINK_GENERIC);
  alignas(nlmsghdr) char request_buffer[256] = {};  // a header, one attribute
  nlmsghdr* request = mnl_nlmsg_put_header(request_buffer);
  request->nlmsg_type = GENL_ID_CTRL;
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request->nlmsg_seq = next_sequence();
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(request, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  mnl_attr_put_strz(request, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
  std::uint16_t id = 0;
  int run_errno = 0;
  const int result = exchange(nl, request, buffer_, deadline, [&](const char* data, std::size_t size) {
    errno = 0;
    const int run = mnl_cb_run(data, size, 0, 0, on_family, &id);
    if (run == MNL_CB_ERROR) run_errno = errno != 0 ? errno : EPROTO;
    return run == MNL_CB_OK;
  });
  error_number = result != 0 ? result : run_errno;
  if (error_number != 0 || id == 0) {
    if (error_number == 0) error_number = ENOENT;
    error = std::string("resolving the wireguard netlink family: ") + std::strerror(error_number);
    return 0;
  }
  family_ = id;
  return family_;
}

TableRead KernelTableReader::read(const KernelInterface& interface, Deadline deadline, const TableLimits& limits) {
  TableRead out;
  const std::uint16_t family = family_id(deadline, out.error, out.error_number);
  if (family == 0) return out;
  NetlinkSocket nl(NETLINK_GENERIC);
  alignas(nlmsghdr) char request_buffer[256] = {};  // a header, one attribute
  nlmsghdr* request = mnl_nlmsg_put_header(request_buffer);
  request->nlmsg_type = family;
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request->nlmsg_seq = next_sequence();
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(request, sizeof(genlmsghdr)));
  genl->cmd = WG_CMD_GET_DEVICE;
  genl->version = WG_GENL_VERSION;
  mnl_attr_put_u32(request, WGDEVICE_A_IFINDEX, interface.index);

  DeviceDumpDecoder decoder(interface.name, limits);
  const int result = exchange(nl, request, buffer_, deadline, [&](const char* data, std::size_t size) {
    return decoder.feed(data, size) == DeviceDumpDecoder::Status::more;
  });
  if (result != 0) {
    out.error_number = result;
    out.error = std::strerror(result);
  } else if (decoder.status() != DeviceDumpDecoder::Status::done) {
    out.error_number = decoder.error_number();
    out.error = decoder.error();
    if (decoder.error_number() == ENOENT) family_ = 0;  // the module was reloaded: look again
  } else {
    out.table = std::move(decoder.table());
  }
  return out;
}

std::vector<std::string> list_uapi_interfaces(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    std::string_view file = entry->d_name;
    constexpr std::string_view kSuffix = ".sock";
    if (file.size() <= kSuffix.size() || file.substr(file.size() - kSuffix.size()) != kSuffix) continue;
    const std::string_view name = file.substr(0, file.size() - kSuffix.size());
    if (valid_interface_name(name)) names.emplace_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

TableRead read_uapi_table(const std::string& dir, const std::string& name, Deadline deadline,
                          const TableLimits& limits) {
  TableRead out;
  const std::string path = dir + "/" + name + ".sock";
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    out.error = "socket path too long";
    out.error_number = ENAMETOOLONG;
    return out;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    out.error_number = errno;
    out.error = std::strerror(errno);
    return out;
  }
  auto fail = [&](int error_number) {
    out.error_number = error_number;
    out.error = std::strerror(error_number);
    close(fd);
    return out;
  };
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    // A listener with a full backlog answers EAGAIN on a non-blocking Unix socket.
    if (errno != EAGAIN && errno != EINPROGRESS) return fail(errno);
    if (!wait_for(fd, POLLOUT, deadline)) return fail(ETIMEDOUT);
    int so_error = 0;
    socklen_t length = sizeof so_error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
    if (so_error != 0) return fail(so_error);
  }
  constexpr std::string_view kRequest = "get=1\n\n";
  std::size_t sent = 0;
  while (sent < kRequest.size()) {
    const ssize_t n = send(fd, kRequest.data() + sent, kRequest.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return fail(ETIMEDOUT);
    } else {
      return fail(n < 0 ? errno : EPIPE);
    }
  }
  UapiReplyParser parser(name, limits);
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      const auto status = parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      explicit_bzero(buffer, static_cast<std::size_t>(n));
      if (status == UapiReplyParser::Status::done) break;
      if (status == UapiReplyParser::Status::failed) {
        close(fd);
        out.error = "bad UAPI reply: " + parser.error();
        out.error_number = EPROTO;
        return out;
      }
    } else if (n == 0) {
      return fail(ECONNRESET);  // closed before the reply's end
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd, POLLIN, deadline)) return fail(ETIMEDOUT);
    } else {
      return fail(errno);
    }
  }
  close(fd);
  out.table = std::move(parser.table());
  return out;
}

bool has_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

}  // namespace wgevents
