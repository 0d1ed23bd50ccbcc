// The parsed web configuration as the server uses it. Private to the HTTP library: it brings in
// Asio's SSL layer, which the public headers keep out.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>  // Boost 1.74 Asio uses std::exchange without including it under C++20.
#include <vector>

#include "wgevents/http/web_config.h"

namespace wgevents {

struct WebConfig::Settings {
  std::string path;
  // Null for plain HTTP. Otherwise certificate, key, versions, ciphers and client verification
  // are set; every TLS connection accepted under this configuration takes its SSL from it. Not
  // const: Asio's ssl::stream takes a context&, although creating a stream does not change it.
  std::unique_ptr<boost::asio::ssl::context> tls;
  // For summary(): the policy and versions as written (or their defaults).
  std::string client_auth_type = "NoClientCert";
  std::string min_version = "TLS12";
  std::string max_version = "TLS13";

  // User name -> bcrypt hash; empty: no authentication.
  std::map<std::string, std::string, std::less<>> users;
  // The highest cost among the hashes (bcrypt's lowest, 4, without users): what an unknown user's
  // answer must cost as well, and no more, or its slowness would give it away.
  int max_bcrypt_cost = 4;

  // http_server_config.headers: added to every response.
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace wgevents
