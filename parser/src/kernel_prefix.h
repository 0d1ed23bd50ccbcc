// Layer 2: from the logged text to the WireGuard message body.
//
//   [ 1234.567890] [1234] wireguard:wg_xmit:226: wireguard: wg0: <body>
//   ^ printk time  ^ dynamic debug decorations     ^ pr_fmt  ^ ifname
#pragma once

#include <cstdint>
#include <string_view>

#include "wgevents/parser/parse.h"

namespace wgevents::detail {

struct KernelLine {
  enum class Kind {
    not_wireguard,      // any other text: ignored
    ratelimit,          // `net_ratelimit: ...`: body holds what follows the prefix
    wireguard,          // module, interface and body are set
    module_banner,      // the module's own lines at load (`WireGuard 1.0.0 loaded. ...`): ignored
    wireguard_unknown,  // `wireguard: ` with no `<ifname>: ` after it, and no banner
    malformed,          // bad interface name or bytes that are not UTF-8
  };
  Kind kind = Kind::not_wireguard;
  MalformedReason reason = MalformedReason::none;
  std::string_view module;
  std::string_view interface;
  std::string_view body;
  // The printk time `[ 1234.567890]` in microseconds since boot, when the line has one.
  bool has_printk_time = false;
  std::uint64_t printk_usec = 0;
};

KernelLine split_kernel_line(std::string_view content);

// Linux interface names: 1 to IFNAMSIZ-1 bytes.
inline constexpr std::size_t kMaxInterfaceName = 15;

}  // namespace wgevents::detail
