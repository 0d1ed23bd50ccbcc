// A throwaway public-key infrastructure for the TLS tests, made with OpenSSL in a temporary
// directory: a CA, a server certificate for 127.0.0.1 and localhost, a client certificate from the
// same CA, and a client certificate from a second, untrusted CA. ECDSA P-256 keys: quick to make.
#pragma once

#include <filesystem>
#include <string>

namespace wgevents::test {

// A directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class TestPki {
 public:
  // Writes ca.crt, server.crt, server.key, client.crt, client.key (signed by ca.crt), and
  // other_ca.crt, other_client.crt, other_client.key, other_server.crt, other_server.key (signed by
  // the untrusted other_ca.crt) into `dir`. Throws on failure.
  explicit TestPki(const std::filesystem::path& dir);

  std::filesystem::path file(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace wgevents::test
