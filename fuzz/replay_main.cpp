// Runs a libFuzzer target's LLVMFuzzerTestOneInput on files, without libFuzzer: how the seed
// corpus and every input that once failed (fuzz/regressions/) are replayed in ordinary builds
// and under the sanitizers.
//
//   parse_fuzzer_replay DIR_OR_FILE...
//
// Directories are read file by file, in name order (files whose names start with `.`, such as
// .gitkeep, are not inputs). A missing directory or file is an error (exit 2): a renamed
// folder must not turn the replay of its inputs into a silent pass. Each file's name is
// printed before it runs, so a crash names its input. Exits 1 when nothing was run: a replay of
// nothing proves nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> inside;
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
          inside.push_back(entry.path());
        }
      }
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else if (fs::is_regular_file(arg, ec)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such directory or file\n", argv[i]);
      return 2;
    }
  }
  for (const auto& file : files) {
    std::fprintf(stderr, "%s\n", file.c_str());
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%zu inputs replayed without a failure\n", files.size());
  return files.empty() ? 1 : 0;
}
