#include "inputs/tls_input.h"

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "recording_sink.h"
#include "stream_test_support.h"

namespace wgevents::test {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using asio::ip::tcp;

// The certificates of make_tls_certificates.sh, made once per test process in a scratch
// directory that is removed when the process ends.
class Certificates {
 public:
  static const Certificates& get() {
    static const Certificates certificates;
    return certificates;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  const fs::path& dir() const { return dir_; }

  Certificates(const Certificates&) = delete;
  Certificates& operator=(const Certificates&) = delete;

 private:
  Certificates() {
    std::string pattern = (fs::temp_directory_path() / "wgevents-tls-test.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    std::string command = "bash '" WGEVENTS_TLS_CERTIFICATE_SCRIPT "' '" + dir_.string() + "'";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("cannot make certificates: " + command);
  }
  ~Certificates() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

const Certificates& certs() { return Certificates::get(); }

TlsInputSettings server_settings(bool require_client_certificate) {
  return TlsInputSettings{certs().path("server.pem"), certs().path("server.key"),
                          require_client_certificate ? certs().path("ca.pem") : ""};
}

// What a sender presents: nothing, or the certificate and key of that name.
struct ClientIdentity {
  std::string name;  // "" for no certificate, else "client" or "rogue-client"
};

// The client side of a TlsSender: it trusts the test CA for the server's certificate and
// presents the certificate of its identity, if any. A base of TlsSender, so that it is made
// before the stream that uses it.
class ClientContext {
 protected:
  ClientContext(const ClientIdentity& identity, int max_version, const std::string& tls12_ciphers)
      : context_(ssl::context::tls_client) {
    context_.load_verify_file(certs().path("ca.pem"));
    context_.set_verify_mode(ssl::verify_peer);
    if (!identity.name.empty()) {
      context_.use_certificate_chain_file(certs().path(identity.name + ".pem"));
      context_.use_private_key_file(certs().path(identity.name + ".key"), ssl::context::pem);
    }
    if (max_version != 0) SSL_CTX_set_max_proto_version(context_.native_handle(), max_version);
    if (!tls12_ciphers.empty()) SSL_CTX_set_cipher_list(context_.native_handle(), tls12_ciphers.c_str());
  }

  ssl::context context_;
};

// A TLS sender: it connects, shakes hands (checking the server's name), then writes its stream in
// pieces and notices when the input closes the connection, as StreamSender does.
class TlsSender : private ClientContext, public StreamSender<ssl::stream<tcp::socket>> {
 public:
  TlsSender(asio::io_context& io, const tcp::endpoint& to, const ClientIdentity& identity,
            int max_version = 0, Ending ending = Ending::watch_for_close, const std::string& tls12_ciphers = "")
      : ClientContext(identity, max_version, tls12_ciphers), StreamSender(ending, io, context_) {
    connect(to);
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    stream_.set_verify_callback(ssl::host_name_verification("localhost"));
    stream_.async_handshake(ssl::stream_base::client, [this](boost::system::error_code ec) { begin(ec); });
  }

  bool handshake_done() const { return begun(); }
};

std::uint64_t refused(const RecordingSink& sink) {
  return sink.refused[static_cast<std::size_t>(Transport::tls)];
}

// A TlsInput with loaded credentials listening on a free port.
struct TlsListening : Listening<TlsInput> {
  explicit TlsListening(
      bool require_client_certificate, std::size_t max_connections = 16,
      std::chrono::steady_clock::duration handshake_timeout = TlsInput::kDefaultHandshakeTimeout)
      : Listening(kLoopback, server_settings(require_client_certificate), max_connections,
                  TlsInput::kDefaultIdleTimeout, handshake_timeout) {
    auto error = input.load_credentials();
    INFO((error ? error->message : std::string()));
    REQUIRE_FALSE(error);
    listen();
  }
};

TEST_CASE("TlsInput takes frames exactly from senders with client certificates, in both framings") {
  TlsListening t(true);
  CHECK(t.input.requires_client_certificate());

  const int kSenders = 6;
  const int kMessages = 300;
  std::vector<std::unique_ptr<TlsSender>> senders;
  MessagesByPort expected;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(std::make_unique<TlsSender>(t.io, t.input.local_endpoint(), ClientIdentity{"client"}));
    const bool octet_counting = s % 2 == 0;
    std::string stream;
    auto& messages = expected[senders.back()->port()];
    for (int m = 0; m < kMessages; ++m) {
      messages.push_back("<4>gw" + std::to_string(s) + " kernel: wireguard: wg0: sender " + std::to_string(s) +
                         " line " + std::to_string(m));
      stream += octet_counting ? octet_frame(messages.back()) : messages.back() + "\n";
    }
    // A frame longer than a TLS record, so that a frame spans records and reads.
    messages.push_back("<4>gw kernel: wireguard: wg0: " + std::string(40000, 'x'));
    stream += octet_counting ? octet_frame(messages.back()) : messages.back() + "\n";
    // Odd-sized writes: frames straddle TLS records, interleaved with the other senders.
    senders.back()->send(stream, 1013 + static_cast<std::size_t>(s));
  }

  const std::size_t total = kSenders * (kMessages + 1);
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == total; }));
  CHECK(t.input.connection_count() == kSenders);

  CHECK(loopback_messages_by_port(t.sink, Transport::tls) == expected);
  CHECK(t.sink.malformed.empty());
  CHECK(refused(t.sink) == 0);
  t.input.stop();
}

TEST_CASE("TlsInput with a client CA refuses senders without a trusted certificate, and counts them") {
  struct Case {
    const char* name;
    ClientIdentity identity;
  };
  for (const Case& c : {Case{"no certificate", {""}}, Case{"signed by another CA", {"rogue-client"}}}) {
    INFO(c.name);
    TlsListening t(true);
    TlsSender sender(t.io, t.input.local_endpoint(), c.identity);
    // With TLS 1.3 the client finishes its side before the server has checked its certificate,
    // so the client may well send this before it learns of the refusal; it must not arrive.
    sender.send(octet_frame("<4>kernel: wireguard: wg0: Peer 1 created"));
    REQUIRE(run_until(t.io, [&] { return refused(t.sink) == 1 && sender.closed_by_peer(); }));
    REQUIRE(run_until(t.io, [&] { return t.input.connection_count() == 0; }));
    CHECK(t.sink.messages.empty());
    CHECK(t.sink.malformed.empty());

    // A sender with the right certificate is served by the same input afterwards.
    TlsSender good(t.io, t.input.local_endpoint(), ClientIdentity{"client"});
    good.send(octet_frame("<4>kernel: trusted"));
    REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 1; }));
    CHECK(t.sink.messages[0].bytes == "<4>kernel: trusted");
    CHECK(refused(t.sink) == 1);
    t.input.stop();
  }
}

TEST_CASE("TlsInput without a client CA takes any TLS sender") {
  TlsListening t(false);
  CHECK_FALSE(t.input.requires_client_certificate());
  TlsSender anonymous(t.io, t.input.local_endpoint(), ClientIdentity{""});
  TlsSender rogue(t.io, t.input.local_endpoint(), ClientIdentity{"rogue-client"});
  TlsSender trusted(t.io, t.input.local_endpoint(), ClientIdentity{"client"});
  anonymous.send(octet_frame("<4>anonymous"));
  rogue.send("<4>rogue\n");
  trusted.send(octet_frame("<4>trusted"));
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 3; }));
  std::vector<std::string> got = t.sink.message_bytes();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"<4>anonymous", "<4>rogue", "<4>trusted"});
  CHECK(refused(t.sink) == 0);
  t.input.stop();
}

TEST_CASE("TlsInput loses nothing from a sender that closes without reading, as rsyslog may") {
  // Whatever the server sent and the client never read makes the client's close a reset, and a
  // reset discards what the input had not read yet. The input sends nothing after the handshake
  // (no TLS 1.3 session tickets), so the close is a FIN and every frame before it arrives.
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    INFO("max version " << std::hex << version);
    TlsListening t(true);
    std::string stream;
    std::vector<std::string> expected;
    for (int m = 0; m < 500; ++m) {
      expected.push_back("<4>gw1 kernel: wireguard: wg0: line " + std::to_string(m));
      stream += octet_frame(expected.back());
    }
    TlsSender sender(t.io, t.input.local_endpoint(), ClientIdentity{"client"}, version,
                     TlsSender::Ending::close_after_writing);
    sender.send(stream, 4096);
    REQUIRE(run_until(t.io, [&] { return sender.closed_by_peer() && t.input.connection_count() == 0; }));
    CHECK(t.sink.message_bytes() == expected);
    CHECK(t.sink.malformed.empty());
    t.input.stop();
  }
}

TEST_CASE("TlsInput takes TLS 1.2 senders") {
  TlsListening t(true);
  TlsSender sender(t.io, t.input.local_endpoint(), ClientIdentity{"client"}, TLS1_2_VERSION);
  sender.send(octet_frame("<4>over TLS 1.2"));
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 1; }));
  CHECK(t.sink.messages[0].bytes == "<4>over TLS 1.2");
  t.input.stop();
}

TEST_CASE("TlsInput offers TLS 1.2 senders only ECDHE key exchange with AEAD ciphers, as the web port does") {
  // CBC suites (the test certificates are ECDSA); the client at security level 0, so that it
  // offers what the server must refuse.
  for (const std::string& ciphers : {std::string("ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"),
                                     std::string("ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0"),
                                     std::string("ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0")}) {
    INFO(ciphers);
    TlsListening t(true);
    TlsSender weak(t.io, t.input.local_endpoint(), ClientIdentity{"client"}, TLS1_2_VERSION,
                   TlsSender::Ending::watch_for_close, ciphers);
    weak.send(octet_frame("<4>over a weak cipher"));
    REQUIRE(run_until(t.io, [&] { return refused(t.sink) == 1 && weak.closed_by_peer(); }));
    CHECK(t.sink.messages.empty());
    t.input.stop();
  }
  TlsListening t(true);
  TlsSender strong(t.io, t.input.local_endpoint(), ClientIdentity{"client"}, TLS1_2_VERSION,
                   TlsSender::Ending::watch_for_close, "ECDHE-ECDSA-CHACHA20-POLY1305");
  strong.send(octet_frame("<4>over TLS 1.2 with ChaCha20-Poly1305"));
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 1; }));
  t.input.stop();
}

TEST_CASE("TlsInput refuses plain TCP syslog on its port, and counts it") {
  for (const std::string& stream : {std::string("<13>plain line\n"), octet_frame("<13>plain frame")}) {
    INFO(stream);
    TlsListening t(false);
    TcpSender plain(t.io, t.input.local_endpoint());
    plain.send(stream);
    REQUIRE(run_until(t.io, [&] { return refused(t.sink) == 1 && plain.closed_by_peer(); }));
    CHECK(t.sink.messages.empty());
    CHECK(t.sink.malformed.empty());
    CHECK(t.input.connection_count() == 0);
    t.input.stop();
  }
}

TEST_CASE("TlsInput refuses a client that never finishes its handshake") {
  TlsListening t(true, 16, std::chrono::milliseconds(200));
  TcpSender silent(t.io, t.input.local_endpoint());
  REQUIRE(run_until(t.io, [&] { return refused(t.sink) == 1 && silent.closed_by_peer(); }));
  CHECK(t.input.connection_count() == 0);
  t.input.stop();
}

TEST_CASE("TlsInput at the cap: a handshake gives way to a new sender, a certified sender to nobody") {
  TlsListening t(true, 1);
  TcpSender holding(t.io, t.input.local_endpoint());  // takes the one slot, in its handshake
  REQUIRE(run_until(t.io, [&] { return t.input.connection_count() == 1; }));
  TlsSender certified(t.io, t.input.local_endpoint(), ClientIdentity{"client"});
  REQUIRE(run_until(t.io, [&] { return refused(t.sink) == 1 && holding.closed_by_peer(); }));
  certified.send("<1>in\n");
  REQUIRE(run_until(t.io, [&] { return t.sink.messages.size() == 1; }));
  // Past its handshake, with a verified certificate: a newcomer is refused instead.
  TcpSender over(t.io, t.input.local_endpoint());
  REQUIRE(run_until(t.io, [&] { return refused(t.sink) == 2 && over.closed_by_peer(); }));
  CHECK(t.input.connection_count() == 1);
  CHECK_FALSE(certified.closed_by_peer());
  t.input.stop();
}

TEST_CASE("TlsInput closes a connection whose framing is bad, or that ends inside a frame") {
  struct Case {
    const char* name;
    std::string stream;
    bool close_after_writing;  // the sender goes away; else the input closes on bad framing
    std::size_t malformed_bytes;
  };
  for (const Case& c : {
           Case{"not syslog", "GET / HTTP/1.1\r\n\r\n", false, 18},
           Case{"frame cut off", octet_frame("<1>ok") + "12 <1>cut", true, 9},
       }) {
    INFO(c.name);
    TlsListening t(true);
    TlsSender sender(t.io, t.input.local_endpoint(), ClientIdentity{"client"});
    sender.send(c.stream);
    if (c.close_after_writing) {
      REQUIRE(run_until(t.io, [&] { return sender.done_writing() && t.sink.messages.size() == 1; }));
      sender.close();
    }
    REQUIRE(run_until(t.io, [&] { return t.input.connection_count() == 0 && t.sink.malformed.size() == 1; }));
    CHECK(t.sink.malformed[0].transport == Transport::tls);
    CHECK(t.sink.malformed[0].bytes == c.malformed_bytes);
    CHECK(t.sink.malformed[0].source.port == sender.port());
    CHECK(refused(t.sink) == 0);
    t.input.stop();
  }
}

TEST_CASE("TlsInput stop() closes the acceptor and every connection") {
  TlsListening t(true);
  TlsSender a(t.io, t.input.local_endpoint(), ClientIdentity{"client"});
  TlsSender b(t.io, t.input.local_endpoint(), ClientIdentity{"client"});
  REQUIRE(run_until(t.io, [&] { return a.handshake_done() && b.handshake_done(); }));
  check_stop_closes_everything(t, a, b);
}

TEST_CASE("TlsInput returns listen errors, and refuses to start without credentials") {
  TlsListening first(false);
  TlsInput same_port(first.io, first.input.local_endpoint(), first.sink, server_settings(false), 4);
  CHECK(same_port.start() == boost::system::errc::operation_not_permitted);
  REQUIRE_FALSE(same_port.load_credentials());
  CHECK(same_port.start() == asio::error::address_in_use);
  CHECK(same_port.local_endpoint() == tcp::endpoint());
  first.input.stop();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("TlsInput names the file it cannot read or use") {
  using File = TlsCredentialsError::File;
  const fs::path scratch = certs().dir() / "bad";
  fs::create_directories(scratch);
  const std::string missing = (scratch / "missing.pem").string();
  const std::string not_pem = (scratch / "not-pem.txt").string();
  write_file(not_pem, "not a certificate\n");
  const std::string encrypted_key = (scratch / "encrypted.key").string();
  const std::string encrypt = "openssl pkey -in '" + certs().path("server.key") + "' -aes256 -passout pass:secret -out '" +
                              encrypted_key + "' 2>/dev/null";
  REQUIRE(std::system(encrypt.c_str()) == 0);
  REQUIRE(read_file(encrypted_key).find("ENCRYPTED") != std::string::npos);
  const std::string cert = certs().path("server.pem");
  const std::string key = certs().path("server.key");

  struct Case {
    const char* name;
    TlsInputSettings settings;
    File file;
    std::string message;
  };
  for (const Case& c : {
           Case{"missing certificate", {missing, key, ""}, File::certificate,
                "cannot read " + missing + ": No such file or directory"},
           Case{"a directory", {scratch.string(), key, ""}, File::certificate,
                "cannot read " + scratch.string() + ": Is a directory"},
           Case{"certificate not PEM", {not_pem, key, ""}, File::certificate,
                "cannot use " + not_pem + ": no PEM certificate in it"},
           Case{"key missing", {cert, missing, ""}, File::private_key,
                "cannot read " + missing + ": No such file or directory"},
           Case{"key not PEM", {cert, not_pem, ""}, File::private_key,
                "cannot use " + not_pem + ": no PEM private key in it"},
           Case{"key of another certificate", {cert, certs().path("client.key"), ""}, File::private_key,
                "cannot use " + certs().path("client.key") + ": the key does not match the certificate"},
           Case{"encrypted key", {cert, encrypted_key, ""}, File::private_key,
                "cannot use " + encrypted_key +
                    ": the key is encrypted; give it unencrypted, readable only by the exporter"},
           Case{"client CA missing", {cert, key, missing}, File::client_ca,
                "cannot read " + missing + ": No such file or directory"},
           Case{"client CA not PEM", {cert, key, not_pem}, File::client_ca,
                "cannot use " + not_pem + ": no PEM certificate in it"},
       }) {
    INFO(c.name);
    asio::io_context io;
    RecordingSink sink;
    TlsInput input(io, tcp::endpoint(kLoopback, 0), sink, c.settings, 4);
    auto error = input.load_credentials();
    REQUIRE(error);
    CHECK(error->file == c.file);
    CHECK(error->message == c.message);
    CHECK(input.start() == boost::system::errc::operation_not_permitted);
  }
}

TEST_CASE("TlsInput takes a client CA file holding several CAs") {
  const fs::path bundle = certs().dir() / "bundle-ca.pem";
  write_file(bundle, read_file(certs().path("other-ca.pem")) + read_file(certs().path("ca.pem")));
  asio::io_context io;
  RecordingSink sink;
  TlsInput input(io, tcp::endpoint(kLoopback, 0), sink,
                 TlsInputSettings{certs().path("server.pem"), certs().path("server.key"), bundle.string()}, 4);
  REQUIRE_FALSE(input.load_credentials());
  REQUIRE_FALSE(input.start());
  TlsSender trusted(io, input.local_endpoint(), ClientIdentity{"client"});
  TlsSender also_trusted(io, input.local_endpoint(), ClientIdentity{"rogue-client"});
  trusted.send(octet_frame("<4>one"));
  also_trusted.send(octet_frame("<4>two"));
  REQUIRE(run_until(io, [&] { return sink.messages.size() == 2; }));
  CHECK(refused(sink) == 0);
  input.stop();
}

}  // namespace
}  // namespace wgevents::test
