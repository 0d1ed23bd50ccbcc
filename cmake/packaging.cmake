# Debian package (CPack DEB): `cpack -G DEB` in the build directory, after building, writes
# wireguard-events-exporter_<version>_<arch>.deb. `lintian` finds no error and no warning in it
# (tests/deploy/package_test.sh).
#
# The package holds the binary (/usr/bin) and its man page (made from --help by help2man), the
# systemd units, the rsyslog drop-in and the default-flags file (conffiles under /etc), the
# sysctl drop-in, the Prometheus rules and scrape example, the dashboards, the documentation,
# the copyright file and the changelog. Its maintainer scripts (deploy/debian/) enable and
# start the syslog exporter and the dynamic debug unit on install, restart them on upgrade,
# stop them on remove and forget them on purge; rsyslog's own dpkg trigger restarts rsyslog,
# which reads the drop-in at once.
#
# Files that only work in one place (/etc/rsyslog.d, /etc/default) are installed there whatever
# CMAKE_INSTALL_PREFIX is; everything else is relative to the prefix (/usr in the package).

set(WGEVENTS_PACKAGE_NAME wireguard-events-exporter)
set(_wgevents_maintainer "wireguard_events_exporter maintainers <maintainers@wireguard-events-exporter.org>")
set(WGEVENTS_PACKAGE_MAINTAINER "${_wgevents_maintainer}" CACHE STRING "Maintainer field of the Debian package")
# An address at localhost (an earlier default) is not a maintainer's: lintian's bogus-mail-host.
if(WGEVENTS_PACKAGE_MAINTAINER MATCHES "@localhost>")
  set(WGEVENTS_PACKAGE_MAINTAINER "${_wgevents_maintainer}" CACHE STRING "Maintainer field of the Debian package" FORCE)
endif()

set(_wgevents_deploy ${PROJECT_SOURCE_DIR}/deploy)
set(_wgevents_share share/${WGEVENTS_PACKAGE_NAME})
set(_wgevents_doc share/doc/${WGEVENTS_PACKAGE_NAME})

install(FILES
    ${_wgevents_deploy}/systemd/wireguard-events-exporter.service
    ${_wgevents_deploy}/systemd/wireguard-events-exporter-kmsg.service
    ${_wgevents_deploy}/systemd/wireguard-dyndbg.service
  DESTINATION lib/systemd/system)
install(FILES ${_wgevents_deploy}/sysctl/60-wireguard-events-exporter.conf
  DESTINATION lib/sysctl.d)
install(FILES ${_wgevents_deploy}/rsyslog/30-wireguard-events-exporter.conf
  DESTINATION /etc/rsyslog.d)
install(FILES ${_wgevents_deploy}/default/wireguard-events-exporter
  DESTINATION /etc/default)
install(FILES
    ${_wgevents_deploy}/prometheus/wireguard-events.rules.yml
    ${_wgevents_deploy}/prometheus/wireguard-events.rules.test.yml
    ${_wgevents_deploy}/prometheus/wireguard-events.rules.daily.test.yml
    ${_wgevents_deploy}/prometheus/prometheus.example.yml
  DESTINATION ${_wgevents_share}/prometheus)
# Not active by default: loading the module with debug messages on is the admin's choice.
install(FILES ${_wgevents_deploy}/modprobe.d/wireguard-dyndbg.conf
  DESTINATION ${_wgevents_doc}/examples/modprobe.d)

# Debian wants these two in every package's doc directory: the licence, and (for a native
# package such as this one) the changelog as changelog.gz, compressed without a timestamp.
install(FILES ${_wgevents_deploy}/debian/copyright DESTINATION ${_wgevents_doc})
set(_wgevents_changelog_gz ${PROJECT_BINARY_DIR}/debian/changelog.gz)
add_custom_command(OUTPUT ${_wgevents_changelog_gz}
  COMMAND gzip -9nc ${_wgevents_deploy}/debian/changelog > ${_wgevents_changelog_gz}
  DEPENDS ${_wgevents_deploy}/debian/changelog
  COMMENT "Compressing the Debian changelog")
add_custom_target(wgevents_changelog ALL DEPENDS ${_wgevents_changelog_gz})
install(FILES ${_wgevents_changelog_gz} DESTINATION ${_wgevents_doc})

# The man page, from --help and --version (help2man), plus the sections of
# deploy/debian/wireguard_events_exporter.h2m.
find_program(WGEVENTS_HELP2MAN help2man)
if(WGEVENTS_HELP2MAN AND TARGET wireguard_events_exporter)
  set(_wgevents_man ${PROJECT_BINARY_DIR}/man/wireguard_events_exporter.1)
  add_custom_command(OUTPUT ${_wgevents_man}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${WGEVENTS_HELP2MAN} --no-info --section=1 --no-discard-stderr
      "--name=Prometheus exporter for WireGuard kernel events"
      --include=${_wgevents_deploy}/debian/wireguard_events_exporter.h2m
      --output=${_wgevents_man} $<TARGET_FILE:wireguard_events_exporter>
    COMMAND gzip -9nf ${_wgevents_man}
    DEPENDS wireguard_events_exporter ${_wgevents_deploy}/debian/wireguard_events_exporter.h2m
    COMMENT "Making the man page from --help")
  add_custom_target(wgevents_man ALL DEPENDS ${_wgevents_man}.gz)
  install(FILES ${_wgevents_man}.gz DESTINATION share/man/man1)
else()
  message(WARNING "help2man not found: the package will have no man page (apt-get install help2man)")
endif()

file(GLOB _wgevents_dashboards CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/dashboards/*.json)
if(_wgevents_dashboards)
  install(FILES ${_wgevents_dashboards} DESTINATION ${_wgevents_share}/dashboards)
endif()
file(GLOB _wgevents_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
if(_wgevents_docs)
  install(FILES ${_wgevents_docs} DESTINATION ${_wgevents_doc})
endif()

# dpkg marks these as configuration files: an upgrade keeps local edits, and only a purge
# removes them.
set(_wgevents_conffiles ${PROJECT_BINARY_DIR}/debian/conffiles)
file(WRITE ${_wgevents_conffiles}
  "/etc/rsyslog.d/30-wireguard-events-exporter.conf\n/etc/default/wireguard-events-exporter\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${WGEVENTS_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${WGEVENTS_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter for WireGuard kernel events")
set(CPACK_PACKAGE_DESCRIPTION
"Counts the per-peer events that the WireGuard (and AmneziaWG) kernel
module logs with dynamic debug on: handshakes sent, received, retried
and given up, keepalives, invalid MACs, cookie replies, no-route errors,
endpoint changes. It reads the lines from syslog (UDP, TCP or TLS,
forwarded by rsyslog) or the kernel log device, and serves them as
Prometheus metrics on port 9588.
.
Comes with hardened systemd units, a unit that turns the module's debug
messages on, an rsyslog drop-in that forwards the lines, a sysctl
drop-in that lifts the kernel's rate limit on them, Prometheus alert
rules with runbooks and a Grafana dashboard.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${WGEVENTS_PACKAGE_MAINTAINER})
# dpkg-shlibdeps derives Depends from the libraries the binary links (libre2, libprometheus-cpp-core,
# libfmt, Boost.Program_options, libc, libstdc++).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "rsyslog")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, wireguard-tools")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_wgevents_conffiles}
  ${_wgevents_deploy}/debian/postinst ${_wgevents_deploy}/debian/prerm ${_wgevents_deploy}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
