// The pure half of the kmsg input: the records in what read(2) returned, and where their
// sequence numbers say records were lost. No I/O, so it is tested on captured bytes.
//
// A record is `PRI,SEQ,USEC,FLAGS[,...];message\n` followed by optional continuation lines
// (` KEY=value\n`), see Documentation/ABI/testing/dev-kmsg. The whole record goes to the
// pipeline (the parser reads the same header); here only the sequence number matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wgevents {

// The sequence number of a record, or nullopt when the header is not `digits,digits,`.
std::optional<std::uint64_t> kmsg_sequence(std::string_view record);

// The length of the first record in `bytes`, up to and including the newline that ends its last
// line (a line that starts with a space continues the record); 0 while no newline ends it yet.
// The device returns one record per read(2), so this is the whole read; a file or FIFO standing
// in for it returns records one after another, which this splits. The kernel escapes control
// bytes in the text (`\x0a`), so a record's own text never holds a newline.
std::size_t kmsg_record_length(std::string_view bytes);

// Counts records the kernel overwrote before we read them: the sequence numbers of the
// records we do read jump over them. (read(2) fails with EPIPE once when that happens; the
// numbers tell how many.)
class KmsgSequence {
 public:
  // Returns how many records were lost before this one (0 for the first record seen).
  std::uint64_t observe(std::uint64_t sequence) {
    std::uint64_t lost = 0;
    if (last_ && sequence > *last_ + 1) lost = sequence - *last_ - 1;
    last_ = sequence;
    return lost;
  }

 private:
  std::optional<std::uint64_t> last_;
};

}  // namespace wgevents
