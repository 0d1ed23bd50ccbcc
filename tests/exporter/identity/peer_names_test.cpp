// Names from wg-quick comments and from the names file.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "identity/peer_names.h"

using namespace wgevents;

namespace {
constexpr const char* kAlice = "CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=";
constexpr const char* kBob = "nyqEIjcaghcYW9x7eOOY+OwhTPumKV+pSXK+MYVJvmA=";
constexpr const char* kPrivate = "mAlLjT0Z0kMJ1kfxwM+u8fmtoA4ZXR+MBUIfvFXhum0=";

std::string name_of(const PeerNames& names, const char* key) {
  const std::string* name = names.find(*parse_base64_key(key));
  return name ? *name : "(none)";
}
}  // namespace

TEST_CASE("wg-quick [Peer] comments name the section's key, before or after it") {
  const std::string conf = std::string("[Interface]\nPrivateKey = ") + kPrivate +
                           "\n# friendly_name = not a peer\nListenPort = 51820\n\n"
                           "[Peer]\n# friendly_name = alice\nPublicKey = " + kAlice +
                           "\nAllowedIPs = 10.7.0.2/32\n\n"
                           "[peer]\npublickey=" + kBob + "\n#friendly_name=bob's laptop\n";
  PeerNames names;
  std::vector<NamesWarning> warnings;
  names.add_wg_quick(conf, "wg0.conf", warnings);
  CHECK(warnings.empty());
  CHECK(names.size() == 2);
  CHECK(name_of(names, kAlice) == "alice");
  CHECK(name_of(names, kBob) == "bob's laptop");
  CHECK(name_of(names, kPrivate) == "(none)");
}

TEST_CASE("bad lines are skipped with a warning naming file and line, never the text") {
  const std::string conf = std::string("[Interface]\nPrivateKey = ") + kPrivate + "\n" +  // 1-2
                           "[Peer]\n# friendly_name =\nPublicKey = " + kAlice + "\n" +    // 3-5
                           "[Peer]\n# friendly_name = carol\n" +                          // 6-7
                           "[Peer]\nPublicKey = notakey\n# friendly_name = dave\n";       // 8-10
  PeerNames names;
  std::vector<NamesWarning> warnings;
  names.add_wg_quick(conf, "/etc/wireguard/wg0.conf", warnings);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0].line == 4);
  CHECK(warnings[1].line == 7);
  CHECK(warnings[2].line == 10);
  for (const auto& w : warnings) {
    CHECK(w.file == "/etc/wireguard/wg0.conf");
    CHECK(w.reason.find(kPrivate) == std::string::npos);
  }
  CHECK(names.size() == 0);
}

TEST_CASE("the names file: KEY NAME lines, comments, and its names win") {
  PeerNames names;
  std::vector<NamesWarning> warnings;
  names.add_wg_quick(std::string("[Peer]\nPublicKey = ") + kAlice + "\n# friendly_name = from-config\n", "a.conf",
                     warnings);
  names.add_names_file(std::string("# names\n\n") + kAlice + "   alice smith\n" + kBob + "\tbob\n" +
                           "garbage\n" + "notakey name\n" + kBob + " " + std::string(200, 'x') + "\n",
                       "names.txt", warnings);
  CHECK(name_of(names, kAlice) == "alice smith");
  CHECK(name_of(names, kBob) == "bob");
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0].line == 5);
  CHECK(warnings[1].line == 6);
  CHECK(warnings[2].line == 7);
}

TEST_CASE("load_peer_names reads the glob's files in order, then the names file") {
  char dir[] = "/tmp/wgevents-names-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string d = dir;
  std::ofstream(d + "/wg0.conf") << "[Peer]\nPublicKey = " << kAlice << "\n# friendly_name = alice0\n";
  std::ofstream(d + "/wg1.conf") << "[Peer]\nPublicKey = " << kBob << "\n# friendly_name = bob1\n";
  std::ofstream(d + "/names") << kBob << " bob\n";
  std::vector<NamesWarning> warnings;
  PeerNames names = load_peer_names(d + "/*.conf", d + "/names", warnings);
  CHECK(warnings.empty());
  CHECK(name_of(names, kAlice) == "alice0");
  CHECK(name_of(names, kBob) == "bob");
  // A names file that cannot be read is one warning naming it.
  names = load_peer_names(d + "/*.conf", d + "/missing", warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].file == d + "/missing");
  CHECK(warnings[0].line == 0);
  // No match for the glob is no error.
  warnings.clear();
  names = load_peer_names(d + "/*.nothing", "", warnings);
  CHECK(warnings.empty());
  CHECK(names.size() == 0);
  for (const char* f : {"/wg0.conf", "/wg1.conf", "/names"}) std::remove((d + f).c_str());
  rmdir(dir);
}
