// Loading --web.config.file: the files under data/web_config/, copied next to certificates made
// for the test, either load or fail with one line that says what is wrong.
#include "wgevents/http/web_config.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "test_pki.h"

namespace {

namespace fs = std::filesystem;
using wgevents::load_web_config;
using wgevents::test::read_text;
using wgevents::test::TempDir;
using wgevents::test::TestPki;
using wgevents::test::write_text;

const fs::path kDataDir = WGEVENTS_HTTP_TEST_DATA_DIR "/web_config";

// A temporary directory with the test certificates, where data files are copied to be loaded.
class ConfigDir {
 public:
  ConfigDir() : pki_(dir_.path()) {}
  fs::path copy(const std::string& data_file) const {
    const fs::path target = dir_.path() / data_file;
    fs::copy_file(kDataDir / data_file, target, fs::copy_options::overwrite_existing);
    return target;
  }
  fs::path write(const std::string& name, const std::string& text) const {
    write_text(dir_.path() / name, text);
    return dir_.path() / name;
  }
  fs::path path() const { return dir_.path(); }

 private:
  TempDir dir_;
  TestPki pki_;
};

}  // namespace

TEST_CASE("good web configuration files load", "[http][web_config]") {
  struct Row {
    std::string file;
    bool tls;
    std::size_t users;
    std::string summary;
  };
  const std::vector<Row> table = {
      {"good_empty.yml", false, 0, "tls=false basic_auth_users=0"},
      {"good_tls.yml", true, 0,
       "tls=true client_auth_type=NoClientCert min_version=TLS12 max_version=TLS13 "
       "basic_auth_users=0"},
      {"good_tls_client_ca.yml", true, 0,
       "tls=true client_auth_type=RequireAndVerifyClientCert min_version=TLS12 max_version=TLS13 "
       "basic_auth_users=0"},
      {"good_everything.yml", true, 1,
       "tls=true client_auth_type=VerifyClientCertIfGiven min_version=TLS12 max_version=TLS13 "
       "basic_auth_users=1"},
      {"exporter_toolkit_users.yml", false, 4, "tls=false basic_auth_users=4"},
  };
  ConfigDir dir;
  for (const auto& row : table) {
    INFO(row.file);
    const auto loaded = load_web_config(dir.copy(row.file));
    CHECK(loaded.error.empty());
    REQUIRE(loaded.config);
    CHECK(loaded.config->tls() == row.tls);
    CHECK(loaded.config->basic_auth_users() == row.users);
    CHECK(loaded.config->summary() == row.summary);
    CHECK(loaded.config->path() == (dir.path() / row.file).string());
  }
}

TEST_CASE("bad web configuration files are refused with one line naming the problem",
          "[http][web_config]") {
  struct Row {
    std::string file;
    std::string message;  // found in the error
  };
  const std::vector<Row> table = {
      {"bad_missing_cert.yml", "tls_server_config.cert_file: cannot read "},
      {"bad_yaml.yml", "invalid YAML"},
      {"bad_unknown_top_key.yml", "line 1: web configuration: unknown key 'tls_config'"},
      {"bad_unknown_tls_key.yml", "line 2: tls_server_config: unknown key 'cert_fil'"},
      {"bad_plaintext_password.yml", "line 2: basic_auth_users.alice: not a bcrypt hash"},
      {"bad_md5_crypt_hash.yml", "basic_auth_users.alice: not a bcrypt hash"},
      {"bad_truncated_hash.yml", "basic_auth_users.alice: not a bcrypt hash"},
      {"bad_users_not_map.yml", "basic_auth_users: must map user names to bcrypt hashes"},
      {"bad_duplicate_user.yml", "line 3: basic_auth_users: duplicate user 'carol'"},
      {"bad_key_mismatch.yml", "the key does not match the certificate"},
      {"bad_cert_without_key.yml", "missing one of key or key_file"},
      {"bad_cert_not_pem.yml", "server.key: no PEM certificate in it"},
      {"bad_cert_and_cert_file.yml", "set cert or cert_file, not both"},
      {"bad_client_ca_without_auth_type.yml",
       "client CA's have been configured without a client_auth_type"},
      {"bad_verify_without_client_ca.yml",
       "RequireAndVerifyClientCert needs client_ca_file or client_ca"},
      {"bad_client_ca_not_pem.yml", "server.key: no PEM certificate in it"},
      {"bad_client_auth_type.yml",
       "client_auth_type: unknown value 'RequireAndVerifyClientCertificate'"},
      {"bad_min_version.yml", "line 4: tls_server_config.min_version: unknown TLS version 'TLS9'"},
      {"bad_min_above_max.yml", "min_version is above max_version"},
      {"bad_cipher.yml", "unknown cipher 'TLS_RSA_WITH_RC4_128_SHA'"},
      {"bad_curve.yml", "unknown curve 'CurveP224'"},
      {"bad_client_allowed_sans.yml", "'client_allowed_sans' is not supported"},
      {"bad_rate_limit.yml", "'rate_limit' is not supported"},
      {"bad_header_not_allowed.yml", "HTTP header 'X-Powered-By' can not be configured"},
      {"bad_header_value.yml", "invalid value for X-Frame-Options"},
      {"bad_top_level_list.yml", "the top level must be a mapping"},
  };
  ConfigDir dir;
  for (const auto& row : table) {
    INFO(row.file);
    const fs::path path = dir.copy(row.file);
    const auto loaded = load_web_config(path);
    CHECK_FALSE(loaded.config);
    CHECK(loaded.error.rfind(path.string() + ": ", 0) == 0);  // names the file first
    CHECK_THAT(loaded.error, Catch::Contains(row.message));
    CHECK(loaded.error.find('\n') == std::string::npos);  // one line
  }
}

TEST_CASE("a password where its hash belongs is not repeated in the error", "[http][web_config]") {
  ConfigDir dir;
  const auto loaded = load_web_config(dir.copy("bad_plaintext_password.yml"));
  REQUIRE_FALSE(loaded.config);
  CHECK_THAT(loaded.error, !Catch::Contains("hunter2"));
}

TEST_CASE("a missing web configuration file is an error", "[http][web_config]") {
  ConfigDir dir;
  const auto loaded = load_web_config((dir.path() / "nothing.yml").string());
  CHECK_FALSE(loaded.config);
  CHECK_THAT(loaded.error, Catch::Contains("nothing.yml: web configuration: cannot read"));
  CHECK_THAT(loaded.error, Catch::Contains("No such file or directory"));
}

TEST_CASE("only a regular file is read: a directory, a FIFO or a device is refused at once",
          "[http][web_config]") {
  ConfigDir dir;
  // A directory reads as an empty file, which would mean "no authentication".
  fs::create_directory(dir.path() / "web.yml");
  auto loaded = load_web_config(dir.path() / "web.yml");
  CHECK_FALSE(loaded.config);
  CHECK_THAT(loaded.error, Catch::Contains("web.yml: web configuration: cannot read " +
                                           (dir.path() / "web.yml").string() + ": is a directory"));
  // A FIFO with no writer: opening or reading it must not wait (this test would hang).
  const fs::path fifo = dir.path() / "fifo.yml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  loaded = load_web_config(fifo);
  CHECK_FALSE(loaded.config);
  CHECK_THAT(loaded.error, Catch::Contains("not a regular file"));
  loaded = load_web_config("/dev/zero");
  CHECK_FALSE(loaded.config);
  CHECK_THAT(loaded.error, Catch::Contains("not a regular file"));
  // A certificate named by the file is read the same way.
  loaded = load_web_config(dir.write("tls_fifo.yml", "tls_server_config:\n  cert_file: fifo.yml\n  key_file: server.key\n"));
  CHECK_FALSE(loaded.config);
  CHECK_THAT(loaded.error, Catch::Contains("tls_server_config.cert_file: cannot read"));
  CHECK_THAT(loaded.error, Catch::Contains("not a regular file"));
  // Far larger than any configuration.
  loaded = load_web_config(dir.write("huge.yml", "# " + std::string(5 * 1024 * 1024, 'x') + "\n"));
  CHECK_FALSE(loaded.config);
  CHECK_THAT(loaded.error, Catch::Contains("larger than"));
}

TEST_CASE("a reload may not turn TLS on or off, nor take authentication away", "[http][web_config]") {
  ConfigDir dir;
  auto load = [&](const std::string& yaml) {
    const auto loaded = load_web_config(dir.write("web.yml", yaml));
    INFO(loaded.error);
    REQUIRE(loaded.config);
    return loaded.config;
  };
  const std::string tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  const std::string verify = tls + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n";
  const std::string alice = "basic_auth_users:\n  alice: $2y$10$ABCDEFGHIJKLMNOPQRSTUuJ.Zy0uTTyLjFBL/qOEzg7ESgxSvl/7a\n";
  const std::string bob = "basic_auth_users:\n  bob: $2y$10$ABCDEFGHIJKLMNOPQRSTUuJ.Zy0uTTyLjFBL/qOEzg7ESgxSvl/7a\n";
  struct Row {
    std::string from, to;
    std::string refusal;  // found in the answer; empty: allowed
  };
  const std::vector<Row> table = {
      {"", "", ""},
      {"", alice, ""},  // adding authentication is always fine
      {alice, bob, ""},
      {alice, "", "no longer names basic_auth_users"},
      {alice, "# half written\n", "no longer names basic_auth_users"},
      {tls + alice, tls, "no longer names basic_auth_users"},
      {"", tls, "now configures TLS"},
      {tls, "", "no longer configures TLS"},
      {tls, verify, ""},
      {verify, verify + alice, ""},
      {verify, tls, "no longer RequireAndVerifyClientCert"},
      {verify, tls + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n",
       "no longer RequireAndVerifyClientCert"},
      {verify + alice, tls + alice, "no longer RequireAndVerifyClientCert"},
  };
  for (const auto& row : table) {
    INFO("from:\n" << row.from << "to:\n" << row.to);
    const auto current = load(row.from);
    const auto next = load(row.to);
    const std::string refusal = wgevents::reload_refusal(*current, *next);
    if (row.refusal.empty()) {
      CHECK(refusal.empty());
    } else {
      CHECK_THAT(refusal, Catch::Contains(row.refusal));
      CHECK(refusal.rfind((dir.path() / "web.yml").string() + ": ", 0) == 0);
    }
  }
}

TEST_CASE("relative paths are taken from the file's directory, absolute ones as they are",
          "[http][web_config]") {
  ConfigDir certificates;
  TempDir elsewhere;
  const fs::path relative_here = certificates.copy("good_tls.yml");
  CHECK(load_web_config(relative_here).config);
  // The same file in another directory no longer finds its certificates...
  const fs::path moved = elsewhere.path() / "web.yml";
  fs::copy_file(relative_here, moved);
  const auto missing = load_web_config(moved);
  CHECK_FALSE(missing.config);
  CHECK_THAT(missing.error, Catch::Contains((elsewhere.path() / "server.crt").string()));
  // ...unless the paths are absolute.
  write_text(moved,
             "tls_server_config:\n  cert_file: " + (certificates.path() / "server.crt").string() +
                 "\n  key_file: " + (certificates.path() / "server.key").string() + "\n");
  CHECK(load_web_config(moved).config);
}

TEST_CASE("certificates and keys may be given inline", "[http][web_config]") {
  ConfigDir dir;
  auto indent = [](const std::string& pem) {
    std::string out;
    for (char c : pem) {
      out += c;
      if (c == '\n') out += "    ";
    }
    return out;
  };
  const std::string yaml =
      "tls_server_config:\n  cert: |\n    " + indent(read_text(dir.path() / "server.crt")) +
      "\n  key: |\n    " + indent(read_text(dir.path() / "server.key")) +
      "\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca: |\n    " +
      indent(read_text(dir.path() / "ca.crt")) + "\n";
  const auto loaded = load_web_config(dir.write("inline.yml", yaml));
  CHECK(loaded.error.empty());
  REQUIRE(loaded.config);
  CHECK(loaded.config->tls());
}
