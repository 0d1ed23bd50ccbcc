// Test data files: tab-separated rows, `#` comments, and escapes so that any byte can be written.
#pragma once

#include <string>
#include <vector>

namespace wgevents::testing {

struct TsvRow {
  int line_number;
  std::vector<std::string> columns;  // unescaped
};

// `\t \n \r \\ \xHH` become the bytes they name.
std::string unescape(const std::string& text);

// Reads `path` (relative paths are taken from the tests' data folder); skips blank lines and
// lines starting with `#`. Throws std::runtime_error when the file cannot be read.
std::vector<TsvRow> read_tsv(const std::string& path);

// Absolute path of a file in tests/data.
std::string data_path(const std::string& relative);

}  // namespace wgevents::testing
