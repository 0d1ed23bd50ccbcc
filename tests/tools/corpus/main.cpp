// wgevents_corpus: writes a synthetic WireGuard kernel log and the counts an exporter that
// replays it must report. See docs/corpus.md.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "corpus_generator.h"

namespace po = boost::program_options;
using wgevents::corpus::CorpusGenerator;
using wgevents::corpus::CorpusOptions;
using wgevents::corpus::FramingChoice;

namespace {

// Lines are collected and written in blocks of this size: one write per ~7000 lines.
constexpr std::size_t kWriteBlockBytes = 1 << 20;

FramingChoice parse_framing(const std::string& name) {
  if (name == "mixed") return FramingChoice::mixed;
  if (name == "rfc3164") return FramingChoice::rfc3164;
  if (name == "rfc5424") return FramingChoice::rfc5424;
  if (name == "kmsg") return FramingChoice::kmsg;
  if (name == "plain") return FramingChoice::plain;
  throw std::invalid_argument("--framing must be mixed, rfc3164, rfc5424, kmsg or plain");
}

std::pair<std::string, std::uint32_t> parse_weight(const std::string& text) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw std::invalid_argument("--weight takes KIND=N, e.g. keepalive_sent=0");
  }
  std::size_t used = 0;
  unsigned long value = std::stoul(text.substr(equals + 1), &used);
  if (used != text.size() - equals - 1 || value > 100'000'000) {
    throw std::invalid_argument("--weight " + text + ": N must be 0..100000000");
  }
  return {text.substr(0, equals), static_cast<std::uint32_t>(value)};
}

// An output file written in large blocks; "-" is standard output.
class BlockWriter {
 public:
  explicit BlockWriter(const std::string& path)
      : path_(path), file_(path == "-" ? stdout : std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) throw std::runtime_error("cannot open " + path + " for writing");
  }
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;
  ~BlockWriter() {
    if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  }

  void write(const std::string& data) {
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
      throw std::runtime_error("write to " + path_ + " failed");
    }
    bytes_ += data.size();
  }
  void close() {
    bool ok = std::fflush(file_) == 0;
    if (file_ != stdout) ok = std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    if (!ok) throw std::runtime_error("write to " + path_ + " failed");
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::string path_;
  std::FILE* file_;
  std::uint64_t bytes_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CorpusOptions options;
  std::uint64_t lines = 0;
  std::string out_path;
  std::string expected_path;
  std::string framing;
  std::vector<std::string> weights;

  po::options_description description(
      "Usage: wgevents_corpus --lines N --out FILE [--expected FILE] [options]\n"
      "Writes a synthetic WireGuard kernel log and the counts replaying it must give.\n"
      "Options");
  description.add_options()
      ("help,h", "show this help")
      ("lines", po::value(&lines)->required(), "number of lines to write")
      ("seed", po::value(&options.seed)->default_value(1), "random seed; same seed, same corpus")
      ("out", po::value(&out_path)->required(), "log file to write (- for standard output)")
      ("expected", po::value(&expected_path), "expected-counts file to write (TSV)")
      ("peers", po::value(&options.peers)->default_value(1000), "distinct peer ids")
      ("interfaces", po::value(&options.interfaces)->default_value(4),
       "interfaces (wg0, wg1, wg-firezone, example_2, awg0, wg0server, wg, wg-site-to-site, wg2...)")
      ("hostnames", po::value(&options.hostnames)->default_value(1),
       "syslog hosts gw1..gwH; each interface lives on one")
      ("framing", po::value(&framing)->default_value("mixed"),
       "mixed, rfc3164, rfc5424, kmsg or plain")
      ("lifecycle", po::bool_switch(&options.lifecycle),
       "also destroy peers and interfaces (then re-create them)")
      ("weight", po::value(&weights)->composing(),
       "KIND=N: relative weight of a line kind (repeatable; see --list-kinds)")
      ("list-kinds", "list line kinds and their default weights");

  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, description), vm);
    if (vm.count("help")) {
      std::cout << description << '\n';
      return 0;
    }
    if (vm.count("list-kinds")) {
      for (const auto& kind : wgevents::corpus::line_kinds()) {
        std::cout << kind.name << '\t' << kind.default_weight
                  << (kind.lifecycle_only ? "\t(--lifecycle)" : "") << '\n';
      }
      return 0;
    }
    po::notify(vm);
    options.framing = parse_framing(framing);
    for (const auto& w : weights) options.weights.push_back(parse_weight(w));

    auto started = std::chrono::steady_clock::now();
    CorpusGenerator generator(options);
    BlockWriter writer(out_path);
    std::string block;
    block.reserve(kWriteBlockBytes + 4096);
    for (std::uint64_t i = 0; i < lines; ++i) {
      generator.append_line(block);
      if (block.size() >= kWriteBlockBytes) {
        writer.write(block);
        block.clear();
      }
    }
    writer.write(block);
    writer.close();

    if (!expected_path.empty()) {
      BlockWriter expected(expected_path);
      expected.write(generator.expected_counts());
      expected.close();
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    std::fprintf(stderr, "wgevents_corpus: %llu lines, %llu bytes in %.3f s\n",
                 static_cast<unsigned long long>(lines),
                 static_cast<unsigned long long>(writer.bytes()), elapsed.count());
    return 0;
  } catch (const po::error& e) {
    std::cerr << "wgevents_corpus: " << e.what() << "\n\n" << description << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "wgevents_corpus: " << e.what() << '\n';
    return 1;
  }
}
