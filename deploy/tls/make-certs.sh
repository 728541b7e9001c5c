#!/usr/bin/env bash
# Makes a test CA and certificates for a local ensemble (openssl, nothing
# else): ca.pem, server.pem + server.key (for 127.0.0.1, localhost and the
# compose services zk1..zk5), client.pem + client.key (CN=zkclient).
# Not for production: the CA key sits beside them, unencrypted.
#
#   deploy/tls/make-certs.sh [DIR]    (default ./zk-tls; existing files are kept)
set -euo pipefail
DIR=${1:-$PWD/zk-tls}
mkdir -p "$DIR"
cd "$DIR"
DAYS=825
if [[ ! -f ca.pem ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$DAYS" \
    -subj "/CN=zabkeeper test CA" 2> /dev/null
fi
sign() {  # NAME SUBJECT EXTFILE
  local name=$1 subject=$2 ext=$3
  [[ -f $name.pem ]] && return
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject" \
    2> /dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" \
    -days "$DAYS" -extfile "$ext" 2> /dev/null
  rm -f "$name.csr"
}
cat > server.ext <<'EXT'
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:zk1,DNS:zk2,DNS:zk3,DNS:zk4,DNS:zk5
extendedKeyUsage=serverAuth,clientAuth
EXT
cat > client.ext <<'EXT'
extendedKeyUsage=clientAuth
EXT
sign server "/CN=zabkeeper server" server.ext
sign client "/CN=zkclient" client.ext
rm -f server.ext client.ext
chmod 600 ./*.key
echo "certificates in $DIR: ca.pem, server.pem/server.key, client.pem/client.key"
