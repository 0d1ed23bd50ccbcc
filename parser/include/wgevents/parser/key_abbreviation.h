// Linking a userspace peer's key abbreviation (event.h, PeerNaming::key_abbreviation) to the
// full public key of an interface's peer table. Pure functions; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "wgevents/parser/event.h"

namespace wgevents {

// The one key of `keys` (an interface's peer table, base64 as `wg` prints it) that abbreviates to
// `packed`; nullopt when none does, or when two or more do: 48 bits can collide, and a wrong link
// is worse than none.
std::optional<std::size_t> find_key_by_abbreviation(std::span<const std::string_view> keys, std::uint64_t packed);

}  // namespace wgevents
