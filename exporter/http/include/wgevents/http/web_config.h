// The --web.config.file settings: TLS and basic authentication for the HTTP endpoint, in the file
// format of the Prometheus exporter toolkit (docs/web-config.md).
//
//   wgevents::WebConfigLoad loaded = wgevents::load_web_config(path);
//   if (!loaded.config) { print("--web.config.file: " + loaded.error); return 1; }
//   wgevents::HttpServer server(io, endpoint, routes, {}, loaded.config);
//   ...  on SIGHUP:  if (auto error = server.reload_web_config(); !error.empty()) log(error);
//
// Loading reads everything the file names (certificates, keys, CA bundles) and checks it all, so a
// WebConfig that exists is one the server can use. Relative paths in the file are taken from the
// file's own directory, as the exporter toolkit does.
//
// Thread safety: a WebConfig never changes after loading; share it freely. load_web_config() may
// run on any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace wgevents {

class WebConfig {
 public:
  // What the file holds beyond this interface: the TLS context, users and hashes, extra headers.
  // Defined in the library's sources; only the HTTP server reads it.
  struct Settings;

  explicit WebConfig(std::unique_ptr<Settings> settings);
  ~WebConfig();
  WebConfig(const WebConfig&) = delete;
  WebConfig& operator=(const WebConfig&) = delete;

  // The file this was read from, as given.
  const std::string& path() const;
  // True when tls_server_config names a certificate: the server speaks only TLS.
  bool tls() const;
  // Number of basic_auth_users; 0 means no authentication.
  std::size_t basic_auth_users() const;
  // key=value pairs for a log line, e.g.
  // "tls=true client_auth_type=RequireAndVerifyClientCert min_version=TLS12 basic_auth_users=2".
  std::string summary() const;

  const Settings& settings() const { return *settings_; }

 private:
  std::unique_ptr<Settings> settings_;
};

struct WebConfigLoad {
  std::shared_ptr<const WebConfig> config;  // set when the file is good
  // Otherwise one line naming the file and what is wrong with it, without the flag's name, e.g.
  // "web.yml: line 3: tls_server_config: unknown key 'cert_fil'" or
  // "web.yml: tls_server_config.cert_file: cannot read /etc/x/server.crt: No such file or
  // directory".
  std::string error;
};

// Reads and checks a web configuration file. Only a regular file of at most 4 MiB is read (the
// same holds for the certificates and keys it names): a directory, a FIFO or a device is refused
// without waiting on it. An empty file (or one holding only comments) is
// valid and means plain HTTP without authentication, as for the exporter toolkit. Never throws for
// a bad file; std::bad_alloc passes through.
WebConfigLoad load_web_config(const std::string& path);

// Why `next` may not replace `current` on a reload, as one line naming the file (like
// WebConfigLoad::error), or "" when it may. A reload must not turn TLS on or off (whether the port
// speaks TLS is fixed at start), nor remove authentication: basic_auth_users that become none, or
// client certificates that are no longer both required and verified. Such an edit, or a file
// caught half-written, keeps the settings in force; a restart applies it on purpose.
std::string reload_refusal(const WebConfig& current, const WebConfig& next);

}  // namespace wgevents
