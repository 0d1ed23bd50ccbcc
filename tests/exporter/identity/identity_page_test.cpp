// PeerIdentity end to end without the daemon: a UAPI socket served here (in a directory of the
// test's own) -> read -> linked with the state's peers -> the identity families of the page.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "identity/peer_identity.h"
#include "log/log.h"
#include "fake_uapi_server.h"
#include "metrics/metrics_page.h"

using namespace wgevents;
using wgevents::testing::FakeUapiServer;

namespace {

constexpr const char* kKeyA = "08d624691cafc61551d37c883bdf5c4078bfb17b2d2ef4a503cf1eb9a08ebf43";  // CNYk...
constexpr const char* kKeyB = "9f2a8422371a8217185bdc7b78e398f8ec214cfba6295fa94972be318549be60";  // nyqE...
constexpr const char* kSecret = "98094b8d3d19d24309d647f1c0cfaef1f9ada00e195d1f8c05421fbc55e1ba6d";

Event event(EventKind kind, std::uint64_t peer, const char* endpoint_v4 = nullptr, std::uint16_t port = 0) {
  Event e;
  e.kind = kind;
  e.module = "wireguard";
  e.interface = "wgfake0";
  e.has_peer = true;
  e.peer = peer;
  if (endpoint_v4 != nullptr) {
    e.endpoint.address.family = IpAddress::Family::ipv4;
    inet_pton(AF_INET, endpoint_v4, e.endpoint.address.bytes.data());
    e.endpoint.port = port;
  }
  return e;
}

}  // namespace

TEST_CASE("a userspace table becomes info, bytes and allowed-IP series, linked by endpoint") {
  char dir[] = "/tmp/wgevents-uapi-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string reply = std::string("private_key=") + kSecret + "\nlisten_port=51820\n" +
                            "public_key=" + kKeyA + "\npreshared_key=" + kSecret +
                            "\nendpoint=192.0.2.7:51820\nlast_handshake_time_sec=2000\nlast_handshake_time_nsec=0\n"
                            "rx_bytes=1000\ntx_bytes=2000\nallowed_ip=10.7.0.2/32\nallowed_ip=fd00::2/128\n" +
                            "public_key=" + kKeyB + "\nrx_bytes=0\ntx_bytes=0\nerrno=0\n\n";
  std::string page;
  {
    FakeUapiServer server(dir, "wgfake0", reply);
    WireguardState state(StateLimits{});
    // Peer 5's last line came from the endpoint the table gives key A; its handshake line is
    // older than the table's.
    state.apply(event(EventKind::keypair_created, 5, "192.0.2.7", 51820), 1000);
    state.apply(event(EventKind::handshake_initiation_received, 6, "198.51.100.1", 1), 1000);
    SelfMetrics self("1", "r");
    PeerIdentitySettings settings;
    settings.kernel = false;
    settings.uapi_dir = dir;
    std::FILE* log_out = std::tmpfile();
    Log log(LogLevel::info, log_out);
    PeerIdentity identity(settings, log);
    PeerNames names;
    std::vector<NamesWarning> warnings;
    names.add_names_file("CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M= alice\n", "names", warnings);
    identity.set_names(std::move(names));
    page = MetricsPage(state, self, PageOptions{}, 3000, identity.read(state)).render_all();
    CHECK(server.requests() == 1);
    CHECK(server.all_requests_were_get());
    std::fclose(log_out);
  }
  rmdir(dir);
  INFO(page);
  auto has = [&](const std::string& line) { return page.find(line + "\n") != std::string::npos; };
  CHECK(has("wireguard_peer_info{interface=\"wgfake0\",peer=\"5\",public_key=\"CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=\",name=\"alice\"} 1"));
  CHECK(has("wireguard_peer_info{interface=\"wgfake0\",public_key=\"nyqEIjcaghcYW9x7eOOY+OwhTPumKV+pSXK+MYVJvmA=\"} 1"));
  CHECK(has("wireguard_peer_receive_bytes_total{interface=\"wgfake0\",public_key=\"CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=\"} 1000"));
  CHECK(has("wireguard_peer_transmit_bytes_total{interface=\"wgfake0\",public_key=\"CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=\"} 2000"));
  CHECK(has("wireguard_peer_allowed_ips_info{interface=\"wgfake0\",public_key=\"CNYkaRyvxhVR03yIO99cQHi/sXstLvSlA88euaCOv0M=\",allowed_ips=\"fd00::2/128\"} 1"));
  // The table's handshake (2000) is later than the line's (1000).
  CHECK(has("wireguard_peer_last_handshake_timestamp_seconds{interface=\"wgfake0\",peer=\"5\"} 2000"));
  CHECK(has("wireguard_peer_last_handshake_age_seconds{interface=\"wgfake0\",peer=\"5\"} 1000"));
  CHECK(has("wireguard_events_exporter_peer_table_reads_total{interface=\"wgfake0\",result=\"ok\"} 1"));
  // Key B without an id, and id 6 without a table peer.
  CHECK(has("wireguard_events_exporter_peers_unresolved{interface=\"wgfake0\"} 2"));
  CHECK(page.find(kSecret) == std::string::npos);
  CHECK(page.find("mAlLjT0Z0kMJ1kfxwM+u8fmtoA4ZXR+MBUIfvFXhum0=") == std::string::npos);  // its base64
}

TEST_CASE("a socket that does not answer is an error read after the timeout, and the page goes on") {
  char dir[] = "/tmp/wgevents-uapi-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/wgmute0.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 4) == 0);  // accepts into the backlog, never answers
  WireguardState state(StateLimits{});
  SelfMetrics self("1", "r");
  PeerIdentitySettings settings;
  settings.kernel = false;
  settings.uapi_dir = dir;
  settings.timeout = std::chrono::milliseconds(200);
  char* log_text = nullptr;
  std::size_t log_size = 0;
  std::FILE* log_out = open_memstream(&log_text, &log_size);
  Log log(LogLevel::info, log_out);
  PeerIdentity identity(settings, log);
  std::string page = MetricsPage(state, self, PageOptions{}, 0, identity.read(state)).render_all();
  page += MetricsPage(state, self, PageOptions{}, 0, identity.read(state)).render_all();
  std::fclose(log_out);
  close(fd);
  unlink(path.c_str());
  rmdir(dir);
  CHECK(page.find("wireguard_events_exporter_peer_table_reads_total{interface=\"wgmute0\",result=\"error\"} 2\n") !=
        std::string::npos);
  CHECK(page.find("wireguard_peer_info{") == std::string::npos);
  CHECK(page.find("wireguard_events_exporter_lines_total") != std::string::npos);
  // Logged once, when it started failing, not at every scrape.
  const std::string logged(log_text, log_size);
  free(log_text);
  CHECK(logged.find("cannot read the peer table") != std::string::npos);
  CHECK(logged.find("cannot read the peer table") == logged.rfind("cannot read the peer table"));
}
