#include "tsv.h"

#include <fstream>
#include <stdexcept>

namespace wgevents::testing {

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char c = text[++i];
    switch (c) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case 'x':
        if (i + 2 >= text.size()) throw std::runtime_error("bad \\x escape");
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
        break;
      default: throw std::runtime_error(std::string("unknown escape \\") + c);
    }
  }
  return out;
}

std::string data_path(const std::string& relative) {
  if (!relative.empty() && relative.front() == '/') return relative;
  return std::string(WGEVENTS_TEST_DATA_DIR) + "/" + relative;
}

std::vector<TsvRow> read_tsv(const std::string& path) {
  std::ifstream in(data_path(path), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test data " + data_path(path));
  std::vector<TsvRow> rows;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line.front() == '#') continue;
    TsvRow row{number, {}};
    std::size_t start = 0;
    while (true) {
      auto tab = line.find('\t', start);
      row.columns.push_back(unescape(line.substr(start, tab - start)));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace wgevents::testing
