#include "wgevents/http/web_config.h"

#include <openssl/crypto.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>
#include <string_view>
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20.

#include "basic_auth.h"
#include "web_config_settings.h"
#include "wgevents/net/tls_server_context.h"

namespace wgevents {

namespace ssl = boost::asio::ssl;

namespace {

// A problem with the file; `line` is 0-based as yaml-cpp counts, -1 when unknown.
struct ConfigError {
  std::string message;
  int line = -1;
};

[[noreturn]] void fail(const YAML::Node& at, std::string message) {
  throw ConfigError{std::move(message), at.Mark().line};
}

[[noreturn]] void fail(std::string message) { throw ConfigError{std::move(message)}; }

// The TLS versions by the exporter toolkit's names.
struct TlsVersionName {
  std::string_view name;
  TlsVersion version;
};
constexpr std::array<TlsVersionName, 4> kTlsVersions = {{
    {"TLS10", TlsVersion::tls1_0},
    {"TLS11", TlsVersion::tls1_1},
    {"TLS12", TlsVersion::tls1_2},
    {"TLS13", TlsVersion::tls1_3},
}};

// Cipher suites by the names Go's crypto/tls gives them (tls.CipherSuites(), the ones the exporter
// toolkit accepts), with OpenSSL's names. The TLS 1.3 suites are accepted and, as in Go, not
// configurable: cipher_suites applies to TLS 1.2 and older.
struct CipherSuite {
  std::string_view go_name;
  std::string_view openssl_name;  // empty: a TLS 1.3 suite
};
constexpr std::array<CipherSuite, 13> kCipherSuites = {{
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
}};

// Curves by Go's names, with OpenSSL's group names.
struct Curve {
  std::string_view go_name;
  std::string_view openssl_name;
};
constexpr std::array<Curve, 4> kCurves = {{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

// The headers http_server_config may set, and the values allowed where the set is closed; the
// exporter toolkit keeps this list short on purpose, for consistency across exporters.
struct AllowedHeader {
  std::string_view name;
  std::initializer_list<std::string_view> values;  // empty: any value
};
const std::array<AllowedHeader, 5> kAllowedHeaders = {{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

// Each key of a mapping once, every key known. `unsupported` keys belong to the format but not to
// this exporter; naming them beats ignoring them, since they ask for protection
// (client_allowed_sans) or behaviour the server would not give.
void check_keys(const YAML::Node& map, std::string_view section,
                std::initializer_list<std::string_view> known,
                std::initializer_list<std::string_view> unsupported = {}) {
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : map) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) fail(key, std::string(section) + ": keys must be strings");
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second)
      fail(key, std::string(section) + ": duplicate key '" + name + "'");
    for (auto u : unsupported) {
      if (name == u)
        fail(key, std::string(section) + ": '" + name + "' is not supported by this exporter");
    }
    bool is_known = false;
    for (auto k : known) is_known = is_known || name == k;
    if (!is_known) fail(key, std::string(section) + ": unknown key '" + name + "'");
  }
}

// A string field; absent or null reads as empty, as in the exporter toolkit.
std::string string_field(const YAML::Node& map, std::string_view section, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return {};
  if (!node.IsScalar()) fail(node, std::string(section) + "." + key + ": must be a string");
  return node.Scalar();
}

std::optional<bool> bool_field(const YAML::Node& map, std::string_view section, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return std::nullopt;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    fail(node, std::string(section) + "." + key + ": must be true or false");
  }
  return value;
}

std::vector<std::string> string_list_field(const YAML::Node& map, std::string_view section,
                                           const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return {};
  if (!node.IsSequence())
    fail(node, std::string(section) + "." + key + ": must be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar())
      fail(item, std::string(section) + "." + key + ": must be a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

// The configuration and everything it names are small; a file larger than this is a mistake (or
// an attempt to make the exporter swallow one).
constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;

// Reads a whole regular file. Anything else is refused rather than read: a directory reads as
// empty (which would mean "no authentication"), and a FIFO or a device could block the reading
// thread, which is the io_context's on a reload, for ever.
std::string read_file(const std::string& path, std::string_view what) {
  auto cannot = [&](const std::string& why) {
    fail(std::string(what) + ": cannot read " + path + ": " + why);
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) cannot(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) cannot(std::strerror(errno));
  if (S_ISDIR(info.st_mode)) cannot("is a directory");
  if (!S_ISREG(info.st_mode)) cannot("not a regular file");
  if (static_cast<std::uintmax_t>(info.st_size) > kMaxFileBytes) {
    cannot("larger than " + std::to_string(kMaxFileBytes) + " bytes");
  }
  std::string content;
  char buffer[16 * 1024];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) cannot(std::strerror(errno));
    if (got == 0) break;
    // The file may have grown since fstat().
    if (content.size() + static_cast<std::size_t>(got) > kMaxFileBytes) {
      cannot("larger than " + std::to_string(kMaxFileBytes) + " bytes");
    }
    content.append(buffer, static_cast<std::size_t>(got));
  }
  return content;
}

// Relative paths in the file are relative to the file's directory.
std::string resolve_path(const std::string& path, const std::filesystem::path& config_dir) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (config_dir / path).lexically_normal().string();
}

// One PEM value, inline or from a file; exactly one of the two must be given when `required`.
struct PemSource {
  std::string inline_key;  // "cert", "key", "client_ca"
  std::string file_key;    // "cert_file", ...
  std::string inline_value;
  std::string file_value;  // resolved

  bool given() const { return !inline_value.empty() || !file_value.empty(); }
  // Where the value came from, for error messages.
  std::string origin() const {
    return file_value.empty() ? "tls_server_config." + inline_key
                              : "tls_server_config." + file_key + ": " + file_value;
  }
  std::string load() const {
    if (!inline_value.empty() && !file_value.empty()) {
      fail("tls_server_config: set " + inline_key + " or " + file_key + ", not both");
    }
    if (!inline_value.empty()) return inline_value;
    return read_file(file_value, "tls_server_config." + file_key);
  }
};

std::unique_ptr<ssl::context> make_tls_context(const YAML::Node& tls_node,
                                               const std::filesystem::path& config_dir,
                                               WebConfig::Settings& settings) {
  const char* section = "tls_server_config";
  PemSource cert{"cert", "cert_file", string_field(tls_node, section, "cert"),
                 resolve_path(string_field(tls_node, section, "cert_file"), config_dir)};
  PemSource key{"key", "key_file", string_field(tls_node, section, "key"),
                resolve_path(string_field(tls_node, section, "key_file"), config_dir)};
  PemSource client_ca{"client_ca", "client_ca_file", string_field(tls_node, section, "client_ca"),
                      resolve_path(string_field(tls_node, section, "client_ca_file"), config_dir)};
  const std::string client_auth_type = string_field(tls_node, section, "client_auth_type");

  // As in the exporter toolkit, any of these turns TLS on; versions or ciphers alone do not.
  if (!cert.given() && !key.given() && !client_ca.given() && client_auth_type.empty())
    return nullptr;
  if (!cert.given()) fail("tls_server_config: missing one of cert or cert_file");
  if (!key.given()) fail("tls_server_config: missing one of key or key_file");

  TlsServerSpec spec;
  if (client_auth_type.empty() || client_auth_type == "NoClientCert") {
    spec.client_certificates = ClientCertificates::none;
  } else if (client_auth_type == "RequestClientCert") {
    spec.client_certificates = ClientCertificates::request;
  } else if (client_auth_type == "RequireAnyClientCert" ||
             client_auth_type == "RequireClientCert") {
    spec.client_certificates = ClientCertificates::require_any;
  } else if (client_auth_type == "VerifyClientCertIfGiven") {
    spec.client_certificates = ClientCertificates::verify_if_given;
  } else if (client_auth_type == "RequireAndVerifyClientCert") {
    spec.client_certificates = ClientCertificates::require_and_verify;
  } else {
    fail(tls_node["client_auth_type"],
         "tls_server_config.client_auth_type: unknown value '" + client_auth_type +
             "' (NoClientCert, RequestClientCert, RequireAnyClientCert, "
             "VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
  }
  if (!client_auth_type.empty()) settings.client_auth_type = client_auth_type;
  if (client_ca.given() && spec.client_certificates == ClientCertificates::none) {
    fail("tls_server_config: client CA's have been configured without a client_auth_type");
  }
  const bool verifies = spec.client_certificates == ClientCertificates::verify_if_given ||
                        spec.client_certificates == ClientCertificates::require_and_verify;
  if (verifies && !client_ca.given()) {
    fail("tls_server_config: client_auth_type " + client_auth_type +
         " needs client_ca_file or client_ca");
  }

  auto version = [&](const char* key_name, std::string& name_out, TlsVersion fallback) {
    const std::string name = string_field(tls_node, section, key_name);
    if (name.empty()) return fallback;
    for (const auto& v : kTlsVersions) {
      if (v.name == name) {
        name_out = name;
        return v.version;
      }
    }
    fail(tls_node[key_name], std::string("tls_server_config.") + key_name +
                                 ": unknown TLS version '" + name +
                                 "' (TLS10, TLS11, TLS12, TLS13)");
  };
  spec.min_version = version("min_version", settings.min_version, TlsVersion::tls1_2);
  spec.max_version = version("max_version", settings.max_version, TlsVersion::tls1_3);
  if (spec.min_version > spec.max_version) fail("tls_server_config: min_version is above max_version");
  spec.prefer_server_ciphers = bool_field(tls_node, section, "prefer_server_cipher_suites").value_or(true);

  std::string cipher_list;
  for (const auto& name : string_list_field(tls_node, section, "cipher_suites")) {
    const CipherSuite* found = nullptr;
    for (const auto& suite : kCipherSuites) {
      if (suite.go_name == name) found = &suite;
    }
    if (found == nullptr)
      fail(tls_node["cipher_suites"],
           "tls_server_config.cipher_suites: unknown cipher '" + name + "'");
    if (found->openssl_name.empty()) continue;
    if (!cipher_list.empty()) cipher_list += ':';
    cipher_list += found->openssl_name;
  }
  // Without a list (or with TLS 1.3 suites only), TLS 1.2 offers the default of every TLS server
  // here (kDefaultTls12Ciphers).
  if (!cipher_list.empty()) spec.tls12_ciphers = cipher_list;

  for (const auto& name : string_list_field(tls_node, section, "curve_preferences")) {
    const Curve* found = nullptr;
    for (const auto& curve : kCurves) {
      if (curve.go_name == name) found = &curve;
    }
    if (found == nullptr)
      fail(tls_node["curve_preferences"],
           "tls_server_config.curve_preferences: unknown curve '" + name + "'");
    if (!spec.groups.empty()) spec.groups += ':';
    spec.groups += found->openssl_name;
  }

  spec.certificate_pem = cert.load();
  spec.private_key_pem = key.load();
  if (client_ca.given()) {
    try {
      spec.client_ca_pem = client_ca.load();
    } catch (...) {
      OPENSSL_cleanse(spec.private_key_pem.data(), spec.private_key_pem.size());
      throw;
    }
  }
  TlsServerContext built = make_tls_server_context(std::move(spec));
  if (built.error) {
    switch (built.error->part) {
      case TlsServerContextError::Part::policy:
        fail("tls_server_config: " + built.error->reason);
      case TlsServerContextError::Part::certificate:
        fail(cert.origin() + ": " + built.error->reason);
      case TlsServerContextError::Part::private_key:
        fail(key.origin() + ": " + built.error->reason);
      case TlsServerContextError::Part::client_ca:
        fail(client_ca.origin() + ": " + built.error->reason);
    }
  }
  return std::move(built.context);
}

void read_users(const YAML::Node& users_node, WebConfig::Settings& settings) {
  if (!users_node || users_node.IsNull()) return;
  if (!users_node.IsMap())
    fail(users_node, "basic_auth_users: must map user names to bcrypt hashes");
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : users_node) {
    const YAML::Node& user = entry.first;
    const YAML::Node& hash = entry.second;
    if (!user.IsScalar()) fail(user, "basic_auth_users: user names must be strings");
    const std::string& name = user.Scalar();
    if (!seen.insert(name).second) fail(user, "basic_auth_users: duplicate user '" + name + "'");
    if (!hash.IsScalar()) fail(hash, "basic_auth_users." + name + ": must be a bcrypt hash");
    const auto cost = basic_auth::bcrypt_cost(hash.Scalar());
    // Names the user, never the value: it may be a password pasted where its hash belongs.
    if (!cost) {
      fail(hash, "basic_auth_users." + name +
                     ": not a bcrypt hash (expected $2a$, $2b$ or $2y$, as made by "
                     "htpasswd -nBC 10)");
    }
    settings.max_bcrypt_cost = std::max(settings.max_bcrypt_cost, *cost);
    settings.users.emplace(name, hash.Scalar());
  }
}

void read_http_server_config(const YAML::Node& node, WebConfig::Settings& settings) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) fail(node, "http_server_config: must be a mapping");
  check_keys(node, "http_server_config", {"http2", "headers"});
  // HTTP/2 is not served; the flag is accepted, as turning it off is what it asks of HTTP/1.1.
  (void)bool_field(node, "http_server_config", "http2");
  const YAML::Node headers = node["headers"];
  if (!headers || headers.IsNull()) return;
  if (!headers.IsMap()) fail(headers, "http_server_config.headers: must be a mapping");
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : headers) {
    if (!entry.first.IsScalar() || !(entry.second.IsScalar() || entry.second.IsNull())) {
      fail(entry.first, "http_server_config.headers: must map header names to strings");
    }
    const std::string& name = entry.first.Scalar();
    const std::string value = entry.second.IsNull() ? std::string() : entry.second.Scalar();
    if (!seen.insert(name).second)
      fail(entry.first, "http_server_config.headers: duplicate header '" + name + "'");
    const AllowedHeader* allowed = nullptr;
    for (const auto& a : kAllowedHeaders) {
      if (a.name == name) allowed = &a;
    }
    if (allowed == nullptr)
      fail(entry.first,
           "http_server_config.headers: HTTP header '" + name + "' can not be configured");
    if (allowed->values.size() != 0 && !value.empty()) {
      bool ok = false;
      for (auto v : allowed->values) ok = ok || v == value;
      if (!ok)
        fail(entry.second,
             "http_server_config.headers: invalid value for " + name + ": '" + value + "'");
    }
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
        fail(entry.second,
             "http_server_config.headers." + name + ": control characters are not allowed");
      }
    }
    if (!value.empty()) settings.headers.emplace_back(name, value);  // blank: unset
  }
}

std::unique_ptr<WebConfig::Settings> parse(const std::string& path) {
  const std::string text = read_file(path, "web configuration");
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError{"invalid YAML: " + e.msg, e.mark.line};
  }
  auto settings = std::make_unique<WebConfig::Settings>();
  settings->path = path;
  if (!root || root.IsNull()) return settings;  // empty: plain HTTP, no authentication
  const YAML::Node& croot = root;               // const: a lookup must not add the key
  if (!root.IsMap()) fail(root, "the top level must be a mapping");
  check_keys(root, "web configuration",
             {"tls_server_config", "http_server_config", "basic_auth_users"}, {"rate_limit"});

  const YAML::Node tls_node = croot["tls_server_config"];
  if (tls_node && !tls_node.IsNull()) {
    if (!tls_node.IsMap()) fail(tls_node, "tls_server_config: must be a mapping");
    check_keys(tls_node, "tls_server_config",
               {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
                "client_ca_file", "min_version", "max_version", "cipher_suites",
                "prefer_server_cipher_suites", "curve_preferences"},
               {"client_allowed_sans"});
    const std::filesystem::path config_dir = std::filesystem::path(path).parent_path();
    settings->tls = make_tls_context(tls_node, config_dir, *settings);
  }
  read_http_server_config(croot["http_server_config"], *settings);
  read_users(croot["basic_auth_users"], *settings);
  return settings;
}

}  // namespace

WebConfig::WebConfig(std::unique_ptr<Settings> settings) : settings_(std::move(settings)) {}
WebConfig::~WebConfig() = default;

const std::string& WebConfig::path() const { return settings_->path; }
bool WebConfig::tls() const { return settings_->tls != nullptr; }
std::size_t WebConfig::basic_auth_users() const { return settings_->users.size(); }

std::string WebConfig::summary() const {
  std::string out = tls() ? "tls=true" : "tls=false";
  if (tls()) {
    out += " client_auth_type=" + settings_->client_auth_type +
           " min_version=" + settings_->min_version + " max_version=" + settings_->max_version;
  }
  out += " basic_auth_users=" + std::to_string(basic_auth_users());
  return out;
}

std::string reload_refusal(const WebConfig& current, const WebConfig& next) {
  const std::string& path = current.path();
  if (current.tls() != next.tls()) {
    return path + (current.tls() ? ": the file no longer configures TLS" : ": the file now configures TLS") +
           "; turning TLS on or off needs a restart";
  }
  if (current.basic_auth_users() > 0 && next.basic_auth_users() == 0) {
    return path + ": the file no longer names basic_auth_users; turning authentication off needs a restart";
  }
  const auto verifies = [](const WebConfig& config) {
    return config.tls() && config.settings().client_auth_type == "RequireAndVerifyClientCert";
  };
  if (verifies(current) && !verifies(next)) {
    return path + ": client_auth_type is no longer RequireAndVerifyClientCert; turning client "
                  "certificate authentication off needs a restart";
  }
  return {};
}

WebConfigLoad load_web_config(const std::string& path) {
  WebConfigLoad result;
  try {
    result.config = std::make_shared<const WebConfig>(parse(path));
  } catch (const ConfigError& e) {
    result.error =
        path + ": " + (e.line >= 0 ? "line " + std::to_string(e.line + 1) + ": " : "") + e.message;
  } catch (const YAML::Exception& e) {
    result.error = path + ": " +
                   (e.mark.line >= 0 ? "line " + std::to_string(e.mark.line + 1) + ": " : "") +
                   e.msg;
  } catch (const boost::system::system_error& e) {
    result.error = path + ": TLS setup failed: " + e.code().message();
  }
  return result;
}

}  // namespace wgevents
