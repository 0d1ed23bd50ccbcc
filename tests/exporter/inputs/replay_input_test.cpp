#include "inputs/replay_input.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "recording_sink.h"

namespace wgevents {
namespace {

namespace asio = boost::asio;
using test::RecordingSink;
using test::run_until;

const std::string kDataFile = std::string(WGEVENTS_TEST_DATA_DIR) + "/inputs/replay.log";

// What replay.log holds: five lines that are passed on, one of 70030 bytes that is not, and a
// last line without LF.
const std::vector<std::string> kDataFileMessages = {
    "<4>Jan  5 10:00:00 gw kernel: wireguard: wg0: Handshake for peer 3 (192.0.2.7:51820) did "
    "not complete after 5 seconds, retrying (try 2)",
    "<4>Jan  5 10:00:01 gw kernel: wireguard: wg0: Keypair 12 created for peer 3",
    "",
    "<4>Jan  5 10:00:03 gw kernel: wireguard: wg0: Sending keepalive packet to peer 3 "
    "(192.0.2.7:51820)",
    "<4>Jan  5 10:00:04 gw kernel: wireguard: wg0: Receiving keepalive packet from peer 3 "
    "(192.0.2.7:51820)",
};
const std::size_t kDataFileLongLine = 70030;

void check_data_file_replayed(const RecordingSink& sink) {
  CHECK(sink.message_bytes() == kDataFileMessages);
  for (const auto& m : sink.messages) {
    CHECK(m.transport == Transport::file);
    CHECK_FALSE(m.source.address.known());
    CHECK(m.source.port == 0);
  }
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].transport == Transport::file);
  CHECK(sink.malformed[0].bytes == kDataFileLongLine);
}

// A file in the temporary directory, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr ? dir : "/tmp") + "/wgevents_replay_XXXXXX";
    int fd = ::mkstemp(path_.data());
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
    ::close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Run as root: the error ReplayInput::open() gives `path` in a child process that gave up root
// for the user and group nobody (65534); -1 if the child could not become nobody.
int open_error_as_nobody(const std::string& path) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(255);
    RecordingSink sink;
    ReplayInput replay(path, sink);
    const boost::system::error_code ec = replay.open();
    ::_exit(ec.value() > 0 && ec.value() < 255 ? ec.value() : 0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

TEST_CASE("ReplayInput replays a file line by line, skipping a line over 64 KiB") {
  RecordingSink sink;
  ReplayInput replay(kDataFile, sink);
  REQUIRE_FALSE(replay.open());
  CHECK(replay.replay_all() == kDataFileMessages.size() + 1);
  CHECK_FALSE(replay.read_error());
  check_data_file_replayed(sink);
  CHECK(replay.replay_all() == 0);  // nothing left
}

TEST_CASE("ReplayInput splits lines straddling its read buffer and at the length limit") {
  // Several read buffers' worth of lines of many lengths, including the longest passed on,
  // the shortest refused, and ones longer than the whole read buffer; ended by LF or CR LF
  // (the CR is not part of the line, so not held to the limit).
  const std::string ending = GENERATE(as<std::string>{}, "\n", "\r\n");
  INFO("line ending " << (ending == "\n" ? "LF" : "CR LF"));
  std::string contents;
  std::vector<std::string> messages;
  std::vector<std::size_t> malformed;
  const std::size_t limit = ReplayInput::kMaxLineBytes;
  std::size_t lengths[] = {0,
                           1,
                           100,
                           4095,
                           limit - 1,
                           limit,
                           limit + 1,
                           70000,
                           17,
                           limit,
                           ReplayInput::kReadBufferBytes + 3,
                           250,
                           limit + 1};
  std::size_t serial = 0;
  while (contents.size() < 4 * ReplayInput::kReadBufferBytes) {
    for (std::size_t length : lengths) {
      std::string line = std::to_string(serial++) + ":";
      line.resize(std::max(length, line.size()), 'a');
      line.resize(length);
      contents += line + ending;
      if (length > limit) {
        malformed.push_back(length + ending.size() - 1);  // the bytes before the LF
      } else {
        messages.push_back(line);
      }
    }
  }
  contents += "the end without LF";
  messages.push_back("the end without LF");
  TempFile file(contents);

  RecordingSink sink;
  ReplayInput replay(file.path(), sink);
  REQUIRE_FALSE(replay.open());
  CHECK(replay.replay_all() == messages.size() + malformed.size());
  CHECK(sink.message_bytes() == messages);
  std::vector<std::size_t> malformed_bytes;
  for (const auto& m : sink.malformed) malformed_bytes.push_back(m.bytes);
  CHECK(malformed_bytes == malformed);
}

TEST_CASE("ReplayInput keeps a line of the largest size whose CR ends one read and LF starts the next") {
  const std::size_t limit = ReplayInput::kMaxLineBytes;
  // Filler lines up to where the longest line and its CR exactly fill the first read.
  std::string contents;
  std::vector<std::string> messages;
  const std::size_t first_read = ReplayInput::kReadBufferBytes;
  while (contents.size() + 1000 + limit + 1 < first_read) {
    messages.push_back(std::string(998, 'f'));
    contents += messages.back() + "\r\n";
  }
  const std::size_t filler = first_read - contents.size() - (limit + 1);
  REQUIRE(filler >= 2);
  messages.push_back(std::string(filler - 1, 'g'));
  contents += messages.back() + "\n";
  messages.push_back(std::string(limit, 'x'));
  contents += messages.back() + "\r";
  REQUIRE(contents.size() == first_read);
  contents += "\n";
  contents += std::string(limit + 1, 'y') + "\r\n";  // one byte over the limit, CR aside: malformed
  TempFile file(contents);

  RecordingSink sink;
  ReplayInput replay(file.path(), sink);
  REQUIRE_FALSE(replay.open());
  CHECK(replay.replay_all() == messages.size() + 1);
  CHECK(sink.message_bytes() == messages);
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].bytes == limit + 2);
}

TEST_CASE("ReplayInput counts an over-long last line without LF as malformed") {
  TempFile file("<1>short\n" + std::string(100000, 'z'));
  RecordingSink sink;
  ReplayInput replay(file.path(), sink);
  REQUIRE_FALSE(replay.open());
  CHECK(replay.replay_all() == 2);
  CHECK(sink.message_bytes() == std::vector<std::string>{"<1>short"});
  REQUIRE(sink.malformed.size() == 1);
  CHECK(sink.malformed[0].bytes == 100000);
}

TEST_CASE("ReplayInput reports a file it cannot open") {
  RecordingSink sink;
  SECTION("missing") {
    ReplayInput replay("/nonexistent/wgevents/replay.log", sink);
    CHECK(replay.open() == boost::system::errc::no_such_file_or_directory);
    CHECK(replay.replay_all() == 0);
  }
  SECTION("a directory") {
    ReplayInput replay(WGEVENTS_TEST_DATA_DIR, sink);
    CHECK(replay.open() == boost::system::errc::is_a_directory);
  }
  SECTION("not readable") {
    TempFile file("<1>secret\n");
    if (::geteuid() == 0) {
      // Permission bits do not stop root: the open is tried by a child that became nobody, which
      // can open the file while others may read it (so it is the bits that stop it).
      REQUIRE(::chmod(file.path().c_str(), 0644) == 0);
      REQUIRE(open_error_as_nobody(file.path()) == 0);
      REQUIRE(::chmod(file.path().c_str(), 0) == 0);
      CHECK(open_error_as_nobody(file.path()) == EACCES);
    } else {
      REQUIRE(::chmod(file.path().c_str(), 0) == 0);
      ReplayInput replay(file.path(), sink);
      CHECK(replay.open() == boost::system::errc::permission_denied);
    }
  }
  CHECK(sink.messages.empty());
}

// Runs `body` with standard input reading the given bytes from a pipe.
template <typename Body>
void with_stdin(const std::string& contents, Body body) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  REQUIRE(contents.size() < 65536);  // fits the pipe, so the write does not block
  REQUIRE(::write(pipe_fds[1], contents.data(), contents.size()) ==
          static_cast<ssize_t>(contents.size()));
  ::close(pipe_fds[1]);
  int saved_stdin = ::dup(STDIN_FILENO);
  ::dup2(pipe_fds[0], STDIN_FILENO);
  ::close(pipe_fds[0]);
  body();
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
}

TEST_CASE("ReplayInput reads standard input for \"-\"") {
  with_stdin("<1>one\n<1>two\n<1>three", [] {
    RecordingSink sink;
    ReplayInput replay("-", sink);
    REQUIRE_FALSE(replay.open());
    CHECK(replay.replay_all() == 3);
    CHECK(sink.message_bytes() == std::vector<std::string>{"<1>one", "<1>two", "<1>three"});
    // Standard input stays open for the rest of the process.
    CHECK(::fcntl(STDIN_FILENO, F_GETFD) != -1);
  });
}

TEST_CASE("ReplayInput replays a file on the io_context and says when it is done") {
  asio::io_context io;
  RecordingSink sink;
  bool done = false;
  boost::system::error_code result = asio::error::would_block;
  ReplayInput replay(io, kDataFile, sink, [&](boost::system::error_code ec) {
    done = true;
    result = ec;
  });
  REQUIRE_FALSE(replay.start());
  REQUIRE(run_until(io, [&] { return done; }));
  CHECK_FALSE(result);
  check_data_file_replayed(sink);
  CHECK(replay.lines() == kDataFileMessages.size() + 1);
}

TEST_CASE("ReplayInput on the io_context follows a pipe as lines arrive") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  asio::io_context io;
  RecordingSink sink;
  bool done = false;
  ReplayInput replay(io, "/dev/fd/" + std::to_string(pipe_fds[0]), sink,
                     [&](boost::system::error_code) { done = true; });
  REQUIRE_FALSE(replay.open());
  ::close(pipe_fds[0]);  // the input opened its own descriptor
  REQUIRE_FALSE(replay.start());

  const std::string first = "<1>first\n<1>sec";
  REQUIRE(::write(pipe_fds[1], first.data(), first.size()) == static_cast<ssize_t>(first.size()));
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 1; }));
  CHECK_FALSE(done);  // the pipe is still open: more may come

  const std::string rest = "ond\n<1>third";
  REQUIRE(::write(pipe_fds[1], rest.data(), rest.size()) == static_cast<ssize_t>(rest.size()));
  ::close(pipe_fds[1]);
  REQUIRE(run_until(io, [&] { return done; }));
  CHECK(sink.message_bytes() == std::vector<std::string>{"<1>first", "<1>second", "<1>third"});
}

TEST_CASE("ReplayInput stop() ends reading on the io_context without calling back") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  asio::io_context io;
  RecordingSink sink;
  bool called = false;
  ReplayInput replay(io, "/dev/fd/" + std::to_string(pipe_fds[0]), sink,
                     [&](boost::system::error_code) { called = true; });
  REQUIRE_FALSE(replay.open());
  ::close(pipe_fds[0]);
  REQUIRE_FALSE(replay.start());
  io.poll();
  replay.stop();
  io.run_for(std::chrono::seconds(20));
  CHECK(io.stopped());
  CHECK_FALSE(called);
  ::close(pipe_fds[1]);
}

}  // namespace
}  // namespace wgevents
