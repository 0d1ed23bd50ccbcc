#!/usr/bin/env bash
# Writes the certificates the TLS tests use into DIR, fresh each run (nothing secret is kept in
# the repository, and nothing expires between runs): EC P-256 keys, PEM files.
#
#   ca.pem ca.key                  the CA the exporter trusts for client certificates
#   server.pem server.key          the exporter's certificate, signed by ca: localhost, 127.0.0.1, ::1
#   client.pem client.key          a sender's certificate signed by ca (CN gw1.example.net)
#   other-ca.pem other-ca.key      a CA the exporter does not trust
#   rogue-client.pem rogue-client.key   a sender's certificate signed by other-ca
#
# usage: make_tls_certificates.sh DIR
set -euo pipefail

dir=${1:?usage: make_tls_certificates.sh DIR}
mkdir -p "$dir"
cd "$dir"
days=30

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# NAME SUBJECT: a self-signed CA.
make_ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "$2" -days "$days" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# NAME SUBJECT CA EXTENSIONS: a leaf certificate signed by CA.
make_leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days "$days" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

make_ca ca "/CN=wgevents test CA"
make_ca other-ca "/CN=wgevents other CA"
make_leaf server "/CN=localhost" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
make_leaf client "/CN=gw1.example.net" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=DNS:gw1.example.net"
make_leaf rogue-client "/CN=rogue.example.net" other-ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=DNS:rogue.example.net"
chmod 600 ./*.key
