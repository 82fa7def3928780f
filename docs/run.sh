#!/usr/bin/env bash
# The docs_examples test: runs every program of docs/guide.md (built into BIN_DIR as doc_*)
# on a test PKI made here with `openssl req`, and checks what each prints.
#   docs/run.sh BIN_DIR
set -euo pipefail
bin=$(cd "${1:?usage: run.sh BIN_DIR}" && pwd)
work=$(mktemp -d /tmp/tlspp-docs-XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {  # check NAME OUTPUT_FILE PATTERN...: every extended regex must match a line
  local name=$1 out=$2
  shift 2
  for pattern in "$@"; do
    if ! grep -Eq -- "$pattern" "$out"; then
      echo "FAIL: $name: no line matches '$pattern'; it printed:"
      sed 's/^/  | /' "$out"
      failures=$((failures + 1))
    fi
  done
}

# A CA and leaves for localhost, a.example, b.example and the client client.example (P-256).
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -subj "/CN=tlspp docs CA" -days 2 -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
for name in localhost a.example b.example client.example; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$name" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' \
    "$name" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$name.ext" \
    -out "$name.pem" 2>/dev/null
done

# connect_verify against openssl s_server -www on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert localhost.pem -key localhost.key -www -quiet >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
"$bin/doc_connect_verify" 127.0.0.1 "$port" ca.pem localhost >connect.out 2>&1 || echo "exit $?" >>connect.out
check connect_verify connect.out '^verified CN=localhost: TLSv1.3' '^HTTP/1.0 200 ok$'
"$bin/doc_connect_verify" 127.0.0.1 "$port" ca.pem wrong.example >wrong.out 2>&1 || echo "exit $?" >>wrong.out
check connect_verify-wrong-name wrong.out 'connect: bad_certificate: .*wrong.example' '^exit 1$'
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
server_pid=""

run() {  # run NAME: the example with the PKI directory, output in NAME.out
  "$bin/doc_$1" "$work" >"$1.out" 2>&1 || echo "exit $?" >>"$1.out"
}

run sni_server
check sni_server sni_server.out '^client: a.example was served CN=a.example$' \
  '^client: b.example was served CN=b.example$' '^server: client asked for a.example$'

run client_auth
check client_auth client_auth.out \
  '^required, client with a certificate: server accepted CN=client.example \(verified\); client read 2 bytes$' \
  '^required, client without a certificate: server refused: certificate_required: .*; client failed: certificate_required' \
  '^optional, client with a certificate: server accepted CN=client.example \(verified\); client read 2 bytes$' \
  '^optional, client without a certificate: server accepted an anonymous client; client read 2 bytes$'

run resumption
check resumption resumption.out '^TLSv1.3 connection 1: full handshake, server CN=localhost$' \
  '^TLSv1.3 connection 2: resumed, server CN=localhost$' '^TLSv1.3 connection 3: resumed' \
  '^TLSv1.2 connection 1: full handshake' '^TLSv1.2 connection 2: resumed, server CN=localhost$'

SSLKEYLOGFILE="$work/keys.txt" "$bin/doc_keylog" "$work" >keylog.out 2>&1 || echo "exit $?" >>keylog.out
check keylog keylog.out \
  '^TLSv1.3: .*CLIENT_HANDSHAKE_TRAFFIC_SECRET' '^TLSv1.3: .*SERVER_HANDSHAKE_TRAFFIC_SECRET' \
  '^TLSv1.3: .*CLIENT_TRAFFIC_SECRET_0' '^TLSv1.3: .*SERVER_TRAFFIC_SECRET_0' '^TLSv1.3: .*EXPORTER_SECRET' \
  '^TLSv1.2: CLIENT_RANDOM$'
# The file has the same lines: label, 32-byte client random, secret (hex).
check keylog-file keys.txt '^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{64,96}$' '^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$'

run sans_io_pair
check sans_io_pair sans_io_pair.out '^handshake done: client yes, server yes' '^negotiated TLSv1.3 .*server verified as CN=localhost$' \
  '^server read: ping$' '^client read: pong$' '^server read in place: GET / HTTP/1.1 \(36 bytes of record\)$' \
  '^server sees close_notify: yes$' '^client sees close_notify: yes$'

if [ "$failures" -gt 0 ]; then
  echo "docs examples: $failures check(s) failed"
  exit 1
fi
echo "docs examples: connect_verify, sni_server, client_auth, resumption, keylog, sans_io_pair all as documented"
