#include "peer_names.h"

#include <glob.h>

#include <cerrno>

#include <fstream>
#include <optional>
#include <sstream>

namespace wgevents {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// `key = value` -> {key, value}, trimmed; nullopt without `=`.
std::optional<std::pair<std::string_view, std::string_view>> split_assignment(std::string_view line) {
  const auto eq = line.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  return std::pair{trim(line.substr(0, eq)), trim(line.substr(eq + 1))};
}

// Calls `each(line_number, line)` for every line of `text`.
template <typename Each>
void for_each_line(std::string_view text, Each each) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    each(++number, line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot read";
    return std::nullopt;
  }
  return std::move(text).str();
}

}  // namespace

bool valid_peer_name(std::string_view name) {
  if (name.empty() || name.size() > PeerNames::kMaxNameBytes) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool PeerNames::add(const PublicKey& key, std::string_view name, std::string_view file,
                    std::vector<NamesWarning>& warnings) {
  auto it = names_.find(key);
  if (it != names_.end()) {
    it->second.assign(name);
    return true;
  }
  if (names_.size() >= kMaxNames) {
    warnings.push_back({std::string(file), 0, "more names than the exporter keeps; the rest are skipped"});
    return false;
  }
  names_.emplace(key, std::string(name));
  return true;
}

void PeerNames::add_wg_quick(std::string_view text, std::string_view file, std::vector<NamesWarning>& warnings) {
  // One [Peer] section at a time: its key and its name may come in either order.
  bool in_peer = false;
  std::optional<PublicKey> key;
  std::optional<std::string> name;
  std::size_t name_line = 0;
  bool key_bad = false;
  auto end_section = [&] {
    if (in_peer && name) {
      if (key) {
        if (!add(*key, *name, file, warnings)) return false;
      } else {
        warnings.push_back({std::string(file), name_line,
                            key_bad ? "friendly_name in a [Peer] whose PublicKey is not a key"
                                    : "friendly_name in a [Peer] without PublicKey"});
      }
    }
    in_peer = false;
    key.reset();
    name.reset();
    key_bad = false;
    return true;
  };
  bool full = false;
  for_each_line(text, [&](std::size_t number, std::string_view raw) {
    if (full) return;
    const std::string_view line = trim(raw);
    if (!line.empty() && line.front() == '[') {
      if (!end_section()) {
        full = true;
        return;
      }
      in_peer = iequals(line, "[Peer]");
      return;
    }
    if (!in_peer) return;
    if (!line.empty() && line.front() == '#') {
      auto assignment = split_assignment(line.substr(1));
      if (!assignment || assignment->first != "friendly_name") return;  // any other comment
      if (!valid_peer_name(assignment->second)) {
        warnings.push_back({std::string(file), number, "friendly_name is empty, too long or has control characters"});
        return;
      }
      name = std::string(assignment->second);
      name_line = number;
      return;
    }
    auto assignment = split_assignment(line);
    if (assignment && iequals(assignment->first, "PublicKey")) {
      key = parse_base64_key(assignment->second);
      key_bad = !key;
    }
  });
  if (!full) end_section();
}

void PeerNames::add_names_file(std::string_view text, std::string_view file, std::vector<NamesWarning>& warnings) {
  bool full = false;
  for_each_line(text, [&](std::size_t number, std::string_view raw) {
    if (full) return;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') return;
    const auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos) {
      warnings.push_back({std::string(file), number, "expected PUBLIC_KEY NAME"});
      return;
    }
    auto key = parse_base64_key(line.substr(0, space));
    if (!key) {
      warnings.push_back({std::string(file), number, "not a base64 public key"});
      return;
    }
    const std::string_view name = trim(line.substr(space + 1));
    if (!valid_peer_name(name)) {
      warnings.push_back({std::string(file), number, "name is empty, too long or has control characters"});
      return;
    }
    if (!add(*key, name, file, warnings)) full = true;
  });
}

PeerNames load_peer_names(const std::string& config_glob, const std::string& names_file,
                          std::vector<NamesWarning>& warnings) {
  PeerNames names;
  if (!config_glob.empty()) {
    glob_t matches{};
    // A directory that does not exist (no credentials loaded) matches nothing; one that cannot
    // be read (/etc/wireguard is 0700 root) is worth a warning.
    const int result = glob(config_glob.c_str(), 0, [](const char*, int error) { return error == ENOENT ? 0 : 1; },
                            &matches);
    if (result == 0) {
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        const std::string path = matches.gl_pathv[i];
        std::string error;
        if (auto text = read_file(path, error)) {
          names.add_wg_quick(*text, path, warnings);
        } else {
          warnings.push_back({path, 0, error});
        }
      }
    } else if (result == GLOB_ABORTED) {
      // /etc/wireguard is 0700 root: without the right to list it, no file can be named.
      warnings.push_back({config_glob, 0, "cannot list the directory"});
    }
    globfree(&matches);
  }
  if (!names_file.empty()) {
    std::string error;
    if (auto text = read_file(names_file, error)) {
      names.add_names_file(*text, names_file, warnings);
    } else {
      warnings.push_back({names_file, 0, error});
    }
  }
  return names;
}

}  // namespace wgevents
