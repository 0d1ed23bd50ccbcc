// Layer 3: the kernel's message table, compiled to RE2 programs once.
//
// Each row is one printf format of the WireGuard module, written as the kernel source has it,
// and the Event field each conversion fills; its kind is a row of kEvents (event.h), which names
// it. A kind may have several formats (older modules' wordings). Adding a kernel message:
// docs/architecture.md, "Adding an event".
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "wgevents/parser/event.h"
#include "wgevents/parser/parse.h"

namespace re2 {
class RE2;
}

namespace wgevents {

// Where a conversion of a format goes.
enum class EventField : std::uint8_t {
  peer, keypair_id, endpoint, address, attempts, seconds, try_number, error, nonce, nonce_max,
};

struct EventFormat {
  EventKind kind;
  std::string_view format;  // the kernel's format: %llu, %d, %pISpfsc, %pISc, %pI4, %pI6
  std::array<EventField, 4> fields{};  // one per conversion, in order
  std::size_t field_count = 0;
};

// Every body the module prints (docs/events.md), current and older modules.
std::span<const EventFormat> kernel_event_formats();

class EventTable {
 public:
  EventTable();
  ~EventTable();

  enum class Match { event, unknown, malformed };
  // Matches a message body (what follows `wireguard: <ifname>: `) and fills the event's kind
  // and fields. `malformed` means a known format whose argument is out of range or broken.
  Match match(std::string_view body, Event& event) const;
  // `N callbacks suppressed` after `net_ratelimit: `.
  Match match_ratelimit(std::string_view body, Event& event) const;

 private:
  struct Row;
  std::vector<Row> rows_;
  // Rows whose literal prefix starts with a given byte: the body's first byte picks the few
  // candidates so that RE2 runs once per line, on the part after the literal prefix.
  std::array<std::vector<std::uint8_t>, 256> rows_by_first_byte_;
  std::unique_ptr<re2::RE2> ratelimit_;
};

}  // namespace wgevents
