// How the daemon reports failure. One convention, so that a caller never has to guess:
//
//   1. Bad data from outside (a line, a frame, a datagram, a request) is never an error: it is
//      counted (lines_total{result}, connections_refused_total, HTTP 4xx) and the exporter goes
//      on. Nothing is logged per bad line.
//   2. Work that asks the system and can fail (bind, open, read) returns a
//      boost::system::error_code, with nothing left open on failure: Input::start(),
//      HttpServer::start(), ReplayInput::open(). The caller decides what it means.
//   3. A file the user gave that cannot be used is a value naming what is wrong
//      (WebConfigLoad::error, TlsCredentialsError, CommandLineOutcome::error).
//   4. At start-up, Exporter turns 2 and 3 into one StartupError, logged as one record
//      `level=error msg="cannot start" err="--flag: ..."`, exit status 1 (status 2 for usage
//      errors: one plain line from the command line parser, before logging starts).
//      After start-up, failures are logged and the exporter keeps serving (a bad --web.config.file
//      on SIGHUP keeps the settings in force).
//   5. Exceptions are for mistakes in the program (std::logic_error, std::invalid_argument) and
//      for running out of memory; a component never throws for a condition of the system.
#pragma once

#include <string>

namespace wgevents {

// Why the exporter could not start: "--syslog.tcp-listen-address: cannot listen on :514: Permission
// denied". One line, without a trailing newline, the flag first.
struct StartupError {
  std::string message;
};

}  // namespace wgevents
