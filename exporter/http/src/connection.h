// One HTTP client connection: (for TLS, a handshake, then) reads requests one at a time, asks the
// request handler (request_handler.h) what to answer, and carries that out: a simple response, a
// metrics page streamed piece by piece (chunked, optionally gzip), or a password check on the
// password thread first. Ends when the client closes, times out, asks to close, or the server
// stops.
//
// Its pending operation's handler keeps it alive (shared_from_this); so does a password check in
// flight. Used on the io_context thread only; only bcrypt runs elsewhere.
#pragma once

#include <utility>  // first: some Boost 1.74 Asio headers use std::exchange without it

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>

#include "listener.h"

namespace wgevents {

using HttpPlainStream = boost::beast::tcp_stream;
using HttpTlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Makes a connection for an accepted socket and starts it. `tls_config` holds the TLS context
// (which must outlive the stream) for a TLS connection; null for plain HTTP.
void start_http_connection(std::shared_ptr<HttpListener> listener, boost::asio::ip::tcp::socket socket,
                           std::shared_ptr<const WebConfig> tls_config);

}  // namespace wgevents
