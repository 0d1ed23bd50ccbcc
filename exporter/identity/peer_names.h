// Friendly names for public keys: the `name` label of wireguard_peer_info.
//
// Two sources (docs/metrics.md, "Peer identity"):
// - wg-quick configuration files: inside a `[Peer]` section, a comment
//   `# friendly_name = alice` (the form prometheus_wireguard_exporter reads) names that
//   section's `PublicKey`;
// - a names file: one `PUBLIC_KEY NAME` per line, `#` comments and blank lines allowed. Its
//   names win over the configuration files'.
// A line that cannot be used is skipped, with a warning that names the file and the line
// number (never the line's text: a configuration file also holds the interface's private
// key). Names are label values, so each is bounded: at most kMaxNameBytes bytes, no control
// characters; at most kMaxNames names.
//
// Plain values; the parsing is pure (text in), load_peer_names() reads the files. Not
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "identity/peer_table.h"

namespace wgevents {

struct NamesWarning {
  std::string file;
  std::size_t line = 0;  // 0: the whole file (unreadable, too many names)
  std::string reason;
};

class PeerNames {
 public:
  static constexpr std::size_t kMaxNameBytes = 128;
  static constexpr std::size_t kMaxNames = 100000;

  // The name of `key`, or nullptr.
  const std::string* find(const PublicKey& key) const {
    auto it = names_.find(key);
    return it == names_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return names_.size(); }

  // Parses a wg-quick file's text. A name already known (from an earlier file) is replaced.
  void add_wg_quick(std::string_view text, std::string_view file, std::vector<NamesWarning>& warnings);
  // Parses a names file's text; its names replace any from configuration files.
  void add_names_file(std::string_view text, std::string_view file, std::vector<NamesWarning>& warnings);

 private:
  bool add(const PublicKey& key, std::string_view name, std::string_view file, std::vector<NamesWarning>& warnings);

  std::unordered_map<PublicKey, std::string, PublicKeyHash> names_;
};

// Reads every file matching `config_glob` (in sorted order; no match is no error) and then
// `names_file` (when not empty). Unreadable files are skipped with a warning.
PeerNames load_peer_names(const std::string& config_glob, const std::string& names_file,
                          std::vector<NamesWarning>& warnings);

// Whether `name` may be a label value here: 1..kMaxNameBytes bytes, no control characters.
bool valid_peer_name(std::string_view name);

}  // namespace wgevents
