#!/usr/bin/env bash
# tlspp interoperability suite: the `tlspp` command against OpenSSL, GnuTLS, Go crypto/tls,
# curl, NSS, Python ssl, Node tls, wolfSSL and headless Chromium on 127.0.0.1, in both
# directions where the peer has both, over TLS 1.3.
#
# Usage: tests/interop/run.sh PATH/TO/tlspp [REGEX]
#   REGEX (optional) runs only the cases whose "peer/direction/variant/cert" matches.
#   TLSPP_INTEROP_KEEP=1 keeps the temporary directory (certificates, per-case logs and the
#   exact commands of every case) instead of deleting it.
#
# The suite re-executes itself in a new network namespace holding only a loopback
# interface (gnutls-serv, selfserv and Chromium listen on every address; there, that is
# only 127.0.0.1 and ::1, and no test traffic can leave the machine). Root uses
# `unshare --net`; other users get a user namespace as well
# (`unshare --user --map-root-user --net`).
#
# Every case starts its own server, stops it by PID, and bounds each client by
# `timeout 10` (Chromium: `timeout 60`). Output: one line per case, a matrix, then
# "N passed, M failed"; the exit status is 1 when any case failed.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 PATH/TO/tlspp [REGEX]" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
tlspp=$(readlink -f "$1")
filter=${2:-}
if [ ! -x "$tlspp" ]; then
  echo "interop: '$1' is not an executable" >&2
  exit 2
fi

# shellcheck source=../lib/loopback.sh
source "$here/../lib/loopback.sh"
loopback_netns interop "$self" "$@"

for tool in openssl gnutls-serv gnutls-cli curl go ss timeout tstclnt selfserv certutil pk12util node cc \
    chromium; do
  command -v "$tool" >/dev/null || echo "interop: '$tool' is missing (scripts/deps.sh test installs it); its cases will fail" >&2
done

started=$(date +%s)
loopback_workdir interop TLSPP_INTEROP_KEEP  # $work, `live` (server PIDs), the exit trap

# --- fixtures ----------------------------------------------------------------------------

pki=$work/pki
if ! bash "$here/gen-certs.sh" "$pki"; then
  echo "interop: certificate generation failed" >&2
  exit 1
fi
ca=$pki/ca.pem
other_ca=$pki/other-ca.pem
printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >"$work/http-request"
http_request='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'  # for --request, which decodes \r \n

# The Go peer: standard library only, nothing downloaded (GOPROXY=off, GOPATH mode).
gopeer=$work/go/peer
gobuild_log=$work/go/build.log
mkdir -p "$work/go"
if ! env HOME="$work/go" GOPATH="$work/go/path" GOCACHE="$work/go/cache" GO111MODULE=off \
    GOPROXY=off GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 \
    timeout 120 go build -o "$gopeer" "$here/go/peer.go" >"$gobuild_log" 2>&1; then
  echo "interop: building the Go peer failed (its cases will fail):" >&2
  cat "$gobuild_log" >&2
fi

# Debian's Python (its ssl module is the system OpenSSL); a pyenv shim may come first in PATH.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3 || echo python3)
pypeer=$here/python/peer.py
nodepeer=$here/node/peer.js

# The wolfSSL peer: a small C program against Debian's libwolfssl-dev.
wolfpeer=$work/wolfssl/server
wolfbuild_log=$work/wolfssl/build.log
mkdir -p "$work/wolfssl"
if ! timeout 120 cc -O1 -Wall -o "$wolfpeer" "$here/wolfssl/server.c" -lwolfssl >"$wolfbuild_log" 2>&1; then
  echo "interop: building the wolfSSL peer failed (its cases will fail):" >&2
  cat "$wolfbuild_log" >&2
fi

# NSS databases: $nssdb/ca trusts the root (for tstclnt), $nssdb/ecdsa and $nssdb/rsa each
# hold one server certificate and its key (for selfserv; both leaves are CN=localhost, and
# NSS would give them one nickname in a shared database). Chromium reads the trusted root
# from $chrome_home/.pki/nssdb, a throw-away HOME.
nssdb=$work/nss
chrome_home=$work/chromium/home
nss_log=$work/nss/setup.log
mkdir -p "$nssdb/ca" "$nssdb/ecdsa" "$nssdb/rsa" "$chrome_home/.pki/nssdb"
make_nss_dbs() {
  local c
  certutil -N -d "sql:$nssdb/ca" --empty-password || return
  certutil -A -d "sql:$nssdb/ca" -t C,, -n ca -i "$ca" || return
  certutil -N -d "sql:$chrome_home/.pki/nssdb" --empty-password || return
  certutil -A -d "sql:$chrome_home/.pki/nssdb" -t C,, -n test -i "$ca" || return
  for c in ecdsa rsa; do
    certutil -N -d "sql:$nssdb/$c" --empty-password || return
    openssl pkcs12 -export -in "$pki/$c.pem" -inkey "$pki/$c.key" -certfile "$ca" -name "$c" \
      -passout pass: -out "$nssdb/$c.p12" || return
    pk12util -i "$nssdb/$c.p12" -d "sql:$nssdb/$c" -W '' || return
  done
}
if ! make_nss_dbs >"$nss_log" 2>&1; then
  echo "interop: building the NSS databases failed (the NSS and Chromium cases will fail):" >&2
  cat "$nss_log" >&2
fi

# --- case machinery ----------------------------------------------------------------------

declare -A cert_label=([ecdsa]="ECDSA P-256" [rsa]="RSA 2048" [ed25519]="Ed25519" [both]="Ed25519+ECDSA")
certs=(ecdsa rsa ed25519)
columns=(ecdsa rsa ed25519 both)  # "both": a tlspp server holding an Ed25519 and an ECDSA certificate
# What tlspp server --http reports for the certificate it chose (its CertificateVerify).
declare -A cert_scheme=([ecdsa]=ecdsa_secp256r1_sha256 [rsa]=rsa_pss_rsae_sha256 [ed25519]=ed25519)
declare -A gnutls_cipher=([TLS_AES_128_GCM_SHA256]=AES-128-GCM [TLS_AES_256_GCM_SHA384]=AES-256-GCM
                          [TLS_CHACHA20_POLY1305_SHA256]=CHACHA20-POLY1305)
suites=(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256)
# RFC 8446 §4.1.3: the ServerHello.random of a HelloRetryRequest (bytes 5..32, as
# `openssl -trace` prints random_bytes after the 4-byte gmt_unix_time).
hrr_random_tail=E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C

passed=0
failed=0
case_no=0
rows=()               # "peer|direction|variant" in first-seen order
declare -A row_seen=()
declare -A cell=()    # "peer|direction|variant|cert" -> pass / FAIL
next_port=20000
cdir=""
srv_pid=""

fail() { printf '%s\n' "$*" >>"$cdir/failures"; }

log_cmd() {  # appends a shell-quoted command line to the case's command record
  { printf '%q ' "$@"; printf '\n'; } >>"$cdir/commands"
}

# start_server NAME CMD...: runs a server in the background (stdout/stderr in NAME.out/.err).
# `timeout 60` bounds its life even if this script is killed; stop_server ends it sooner.
start_server() {
  local name=$1; shift
  { printf '('; printf '%q ' "$@"; printf '>%q 2>%q &)\n' "$cdir/$name.out" "$cdir/$name.err"; } >>"$cdir/commands"
  timeout -k 1 60 "$@" </dev/null >"$cdir/$name.out" 2>"$cdir/$name.err" &
  srv_pid=$!
  live[$srv_pid]=1
}

stop_server() {
  local p=$srv_pid i
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null
  for ((i = 0; i < 40; i++)); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$p" 2>/dev/null; then
    pkill -KILL -P "$p" 2>/dev/null  # the server under this timeout process
    kill -KILL "$p" 2>/dev/null
  fi
  wait "$p" 2>/dev/null
  unset "live[$p]"
  srv_pid=""
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (5 s at most).
wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.025
  done
  fail "the server did not listen on port $1"
  return 1
}

# wait_listening FILE: until FILE has "listening on 127.0.0.1:PORT"; prints PORT.
wait_listening() {
  local i port
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | head -n1)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.025
  done
  fail "the server never printed 'listening on 127.0.0.1:PORT' to $(basename "$1")"
  return 1
}

# client NAME INPUT CMD...: runs a client for 10 s at most (client_limit=SECONDS changes
# that), stdin from INPUT; the exit status goes to NAME.rc, the output to NAME.out/.err.
client() {
  local name=$1 input=$2 limit=${client_limit:-10}; shift 2
  { printf '%q ' timeout "$limit" "$@"; printf '<%q >%q 2>%q\n' "$input" "$cdir/$name.out" "$cdir/$name.err"; } >>"$cdir/commands"
  echo "$limit" >"$cdir/$name.limit"
  timeout -k 5 "$limit" "$@" <"$input" >"$cdir/$name.out" 2>"$cdir/$name.err"
  echo $? >"$cdir/$name.rc"
}

expect_rc() {  # expect_rc NAME STATUS
  local rc
  rc=$(cat "$cdir/$1.rc" 2>/dev/null || echo none)
  if [ "$rc" != "$2" ]; then
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      fail "$1 timed out after $(cat "$cdir/$1.limit") s (exit $rc), expected exit $2"
    else
      fail "$1 exited $rc, expected $2"
    fi
  fi
}

expect() {  # expect FILE TEXT: FILE (in the case dir) contains TEXT
  grep -qF -- "$2" "$cdir/$1" 2>/dev/null || fail "$1 lacks '$2'"
}

expect_line() {  # expect_line FILE LINE: FILE has LINE as a whole line
  grep -qxF -- "$2" "$cdir/$1" 2>/dev/null || fail "$1 lacks the line '$2'"
}

expect_no() {  # expect_no FILE TEXT
  if grep -qF -- "$2" "$cdir/$1" 2>/dev/null; then fail "$1 contains '$2'"; fi
}

# The --summary lines of a tlspp client that verified a localhost certificate.
expect_tlspp_summary() {  # FILE SUITE-or-empty HRR(yes/no)
  expect_line "$1" "protocol: TLSv1.3"
  [ -n "$2" ] && expect_line "$1" "cipher: $2"
  expect_line "$1" "verified: yes"
  expect_line "$1" "sni: localhost"
  expect_line "$1" "hello_retry_request: $3"
  expect "$1" "peer_certificate: CN=localhost"
}

# run_case PEER DIRECTION VARIANT CERT FUNCTION ARGS...: FUNCTION ARGS... CERT runs the
# case in its own directory and reports problems through fail().
run_case() {
  local peer=$1 direction=$2 variant=$3 cert=$4 t0 elapsed result
  shift 4
  case_no=$((case_no + 1))
  local id="$peer/$direction/$variant/$cert"
  if [ -n "$filter" ] && ! [[ $id =~ $filter ]]; then return 0; fi
  cdir=$work/cases/$(printf '%03d' "$case_no")
  mkdir -p "$cdir"
  : >"$cdir/failures"
  echo "$id" >"$cdir/name"
  t0=$(date +%s%N)
  "$@" "$cert"
  stop_server
  elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
  local key="$peer|$direction|$variant"
  if [ -z "${row_seen[$key]:-}" ]; then
    row_seen[$key]=1
    rows+=("$key")
  fi
  if [ -s "$cdir/failures" ]; then
    result=FAIL
    failed=$((failed + 1))
  else
    result=pass
    passed=$((passed + 1))
  fi
  cell[$key|$cert]=$result
  printf '%-4s  %-8s %-27s %-30s %-13s %5d ms\n' "$result" "$peer" "$direction" "$variant" "${cert_label[$cert]}" "$elapsed"
  if [ "$result" = FAIL ]; then
    sed 's/^/        why: /' "$cdir/failures"
    sed 's/^/        ran: /' "$cdir/commands"
    local f
    for f in "$cdir"/*.out "$cdir"/*.err; do
      [ -s "$f" ] || continue
      echo "        --- $(basename "$f") (last lines)"
      tail -n 8 "$f" | cut -c1-200 | sed 's/^/        | /'
    done
  fi
}

# --- OpenSSL -----------------------------------------------------------------------------

# tlspp client -> openssl s_server -www limited to one suite: the status page names it.
ossl_server_suite() {
  local suite=$1 cert=$2 port=$((next_port++))
  start_server s_server openssl s_server -accept "127.0.0.1:$port" -cert "$pki/$cert.pem" -key "$pki/$cert.key" \
    -tls1_3 -ciphersuites "$suite" -www -naccept 1
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request "$http_request" --summary
  expect_rc tlspp 0
  expect tlspp.out "New, TLSv1.3, Cipher is $suite"
  expect_tlspp_summary tlspp.err "$suite" no
}

# s_server -groups secp384r1: tlspp's first key share (x25519) is refused, so the server
# must send a HelloRetryRequest (seen in its -trace) and the handshake ends on secp384r1.
ossl_server_hrr() {
  local cert=$1 port=$((next_port++))
  start_server s_server openssl s_server -accept "127.0.0.1:$port" -cert "$pki/$cert.pem" -key "$pki/$cert.key" \
    -tls1_3 -groups secp384r1 -www -naccept 1 -trace
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request "$http_request" --summary
  expect_rc tlspp 0
  expect tlspp.out "New, TLSv1.3, Cipher is TLS_"
  expect tlspp.out "Shared groups: secp384r1"
  expect_tlspp_summary tlspp.err "" yes
  expect_line tlspp.err "group: secp384r1"
  expect s_server.out "$hrr_random_tail"
}

# s_server -rev echoes each line reversed; "CLOSE" makes it hang up.
ossl_server_rev() {
  local cert=$1 port=$((next_port++))
  start_server s_server openssl s_server -accept "127.0.0.1:$port" -cert "$pki/$cert.pem" -key "$pki/$cert.key" \
    -tls1_3 -rev -naccept 1
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request 'hello from tlspp\nCLOSE\n' --summary
  expect_rc tlspp 0
  expect_line tlspp.out "ppslt morf olleh"
  expect_tlspp_summary tlspp.err "" no
  expect s_server.err "Protocol version: TLSv1.3"
  expect s_server.err "CONNECTION CLOSED"
}

# Verification must fail: a root the client does not trust, or a name the certificate
# does not carry. tlspp exits 1 with one line on stderr, receives no data and sends an
# alert.
ossl_server_reject() {
  local why=$1 cert=$2 port=$((next_port++)) ca_file=$ca name=localhost
  [ "$why" = untrusted ] && ca_file=$other_ca
  [ "$why" = name ] && name=wrong.example
  start_server s_server openssl s_server -accept "127.0.0.1:$port" -cert "$pki/$cert.pem" -key "$pki/$cert.key" \
    -tls1_3 -www -naccept 1
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername "$name" --ca "$ca_file" \
    --request "$http_request" --summary
  expect_rc tlspp 1
  local lines
  lines=$(wc -l <"$cdir/tlspp.err")
  [ "$lines" = 1 ] || fail "tlspp.err has $lines lines, expected one line naming the error"
  expect_no tlspp.out "Cipher is"
  expect_no tlspp.err "verified: yes"
  # The server must hear why: RFC 8446 §6.2 unknown_ca (48) for an unknown root; for a
  # name mismatch the RFC names no specific alert, so any alert will do.
  if [ "$why" = untrusted ]; then
    expect s_server.err "SSL alert number 48"
  else
    expect s_server.err "SSL alert number"
  fi
}

# A server that speaks only TLS 1.2 (until tlspp has TLS 1.2): the handshake fails with one
# line saying that the server does not do TLS 1.3, not just an alert's name (issue 8, item
# 13). OpenSSL 3.0 closes without an alert; GnuTLS answers handshake_failure.
tls12_only_server() {
  local peer=$1 cert=$2 port=$((next_port++))
  if [ "$peer" = openssl ]; then
    start_server s_server openssl s_server -accept "127.0.0.1:$port" -cert "$pki/$cert.pem" -key "$pki/$cert.key" \
      -tls1_2 -www -naccept 1
  else
    start_server gnutls-serv gnutls-serv -p "$port" --http --x509certfile "$pki/$cert.pem" \
      --x509keyfile "$pki/$cert.key" --disable-client-cert --priority 'NORMAL:-VERS-TLS1.3'
  fi
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request "$http_request"
  expect_rc tlspp 1
  expect tlspp.err "tlspp client: handshake failed: the server"
  expect tlspp.err "TLS 1.3"
}

# openssl s_client limited to one suite -> tlspp server --http.
ossl_client_suite() {
  local suite=$1 cert=$2 port
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client s_client "$work/http-request" openssl s_client -connect "127.0.0.1:$port" -servername localhost \
    -tls1_3 -ciphersuites "$suite" -CAfile "$ca" -verify_return_error -ign_eof
  expect_rc s_client 0
  expect s_client.out "New, TLSv1.3, Cipher is $suite"
  expect s_client.out "Verify return code: 0 (ok)"
  expect s_client.out " 200 OK"
  expect_line s_client.out "protocol: TLSv1.3"
}

# tlspp server --groups secp384r1: s_client's only key share is x25519, so tlspp must send
# a HelloRetryRequest (seen in s_client's -trace).
ossl_client_hrr() {
  local cert=$1 port
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
    --groups secp384r1 --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client s_client "$work/http-request" openssl s_client -connect "127.0.0.1:$port" -servername localhost \
    -tls1_3 -CAfile "$ca" -verify_return_error -ign_eof -trace
  expect_rc s_client 0
  expect s_client.out "$hrr_random_tail"
  expect s_client.out "Server Temp Key: ECDH, secp384r1"
  expect s_client.out "New, TLSv1.3, Cipher is TLS_"
  expect s_client.out "Verify return code: 0 (ok)"
  expect_line s_client.out "protocol: TLSv1.3"
}

# s_client -> tlspp server --echo: a line goes out and must come back while the connection
# is open (stdin is a FIFO held open until then), then s_client closes.
ossl_client_echo() {
  local cert=$1 port fd i cpid
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" --echo
  port=$(wait_listening "$cdir/tlspp.err") || return
  mkfifo "$cdir/s_client.in"
  log_cmd timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -tls1_3 -CAfile "$ca" \
    -verify_return_error "<FIFO: 'echo line from s_client', wait for the echo, then EOF>"
  timeout -k 2 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -tls1_3 -CAfile "$ca" \
    -verify_return_error <"$cdir/s_client.in" >"$cdir/s_client.out" 2>"$cdir/s_client.err" &
  cpid=$!
  exec {fd}>"$cdir/s_client.in"
  printf 'echo line from s_client\n' >&"$fd"
  for ((i = 0; i < 400; i++)); do
    grep -qxF 'echo line from s_client' "$cdir/s_client.out" && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.025
  done
  exec {fd}>&-
  wait "$cpid"
  echo $? >"$cdir/s_client.rc"
  expect_rc s_client 0
  expect s_client.out "New, TLSv1.3, Cipher is TLS_"
  expect s_client.out "Verify return code: 0 (ok)"
  expect_line s_client.out "echo line from s_client"
}

# --- GnuTLS ------------------------------------------------------------------------------

# tlspp client offering one suite -> gnutls-serv --http: the page names version and cipher.
gnutls_server_suite() {
  local suite=$1 cert=$2 port=$((next_port++))
  start_server gnutls-serv gnutls-serv -p "$port" --http --x509certfile "$pki/$cert.pem" \
    --x509keyfile "$pki/$cert.key" --disable-client-cert
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --ciphers "$suite" --request "$http_request" --summary
  expect_rc tlspp 0
  expect tlspp.out "<TD>Protocol version:</TD><TD>TLS1.3</TD>"
  expect tlspp.out "<TD>Cipher</TD><TD>${gnutls_cipher[$suite]}</TD>"
  expect tlspp.out "<p>Server Name: localhost</p>"
  expect_tlspp_summary tlspp.err "$suite" no
}

# gnutls-serv limited to secp384r1: it must queue a HelloRetryRequest (its -d 4 log says so).
gnutls_server_hrr() {
  local cert=$1 port=$((next_port++))
  start_server gnutls-serv gnutls-serv -p "$port" --http --x509certfile "$pki/$cert.pem" \
    --x509keyfile "$pki/$cert.key" --disable-client-cert -d 4 \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1"
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request "$http_request" --summary
  expect_rc tlspp 0
  expect tlspp.out "(ECDHE-SECP384R1)"
  expect tlspp.out "<TD>Protocol version:</TD><TD>TLS1.3</TD>"
  expect_tlspp_summary tlspp.err "" yes
  expect_line tlspp.err "group: secp384r1"
  expect gnutls-serv.err "HELLO RETRY REQUEST was queued"
}

# gnutls-cli -> tlspp server --http limited to one suite.
gnutls_client_suite() {
  local suite=$1 cert=$2 port
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
    --ciphers "$suite" --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client gnutls-cli "$work/http-request" gnutls-cli -p "$port" --x509cafile "$ca" localhost
  expect_rc gnutls-cli 0
  expect gnutls-cli.out "- Status: The certificate is trusted."
  expect gnutls-cli.out "- Description: (TLS1.3-X.509)-"
  expect gnutls-cli.out "-(${gnutls_cipher[$suite]})"
  expect gnutls-cli.out "- Handshake was completed"
  expect gnutls-cli.out " 200 OK"
  expect_line gnutls-cli.out "protocol: TLSv1.3"
}

# gnutls-cli (key shares for secp256r1 and x25519) -> tlspp server --groups secp384r1.
gnutls_client_hrr() {
  local cert=$1 port
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
    --groups secp384r1 --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client gnutls-cli "$work/http-request" gnutls-cli -p "$port" --x509cafile "$ca" -d 4 localhost
  expect_rc gnutls-cli 0
  expect gnutls-cli.err "HELLO RETRY REQUEST (1025) was received"
  expect gnutls-cli.out "(ECDHE-SECP384R1)"
  expect gnutls-cli.out "- Status: The certificate is trusted."
  expect gnutls-cli.out "- Handshake was completed"
  expect_line gnutls-cli.out "protocol: TLSv1.3"
}

# --- Go crypto/tls -----------------------------------------------------------------------

# tlspp client offering one suite -> Go server, which answers with what it negotiated.
go_server_case() {
  local variant=$1 cert=$2 port suite="" hrr=no
  local srv_args=() cli_args=()
  case $variant in
    TLS_*) suite=$variant; cli_args=(--ciphers "$suite") ;;
    hrr) srv_args=(-curves secp384r1); hrr=yes ;;
    alpn) srv_args=(-alpn http/1.1); cli_args=(--alpn h2,http/1.1) ;;
  esac
  start_server go-server "$gopeer" server -listen 127.0.0.1:0 -cert "$pki/$cert.pem" -key "$pki/$cert.key" "${srv_args[@]}"
  port=$(wait_listening "$cdir/go-server.err") || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request 'hello from tlspp\n' --summary "${cli_args[@]}"
  expect_rc tlspp 0
  expect_line tlspp.out "protocol: TLSv1.3"
  [ -n "$suite" ] && expect_line tlspp.out "cipher: $suite"
  expect_line tlspp.out "hello_retry_request: $hrr"
  expect_line tlspp.out "sni: localhost"
  expect_line tlspp.out "request: hello from tlspp"
  expect_tlspp_summary tlspp.err "$suite" "$hrr"
  case $variant in
    hrr) expect_line tlspp.err "group: secp384r1" ;;
    alpn) expect_line tlspp.out "alpn: http/1.1"; expect_line tlspp.err "alpn: http/1.1" ;;
  esac
}

# Go client -> tlspp server --http; the server picks the suite (--ciphers), the group
# (--groups secp384r1 forces a HelloRetryRequest: Go sends an x25519 share only) or ALPN.
go_client_case() {
  local variant=$1 cert=$2 port suite="" hrr=no
  local srv_args=() cli_args=()
  case $variant in
    TLS_*) suite=$variant; srv_args=(--ciphers "$suite") ;;
    hrr) srv_args=(--groups secp384r1); hrr=yes ;;
    alpn) srv_args=(--alpn http/1.1); cli_args=(-alpn h2,http/1.1) ;;
  esac
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
    "${srv_args[@]}" --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client go-client /dev/null "$gopeer" client -connect "127.0.0.1:$port" -servername localhost -ca "$ca" \
    -request "$http_request" "${cli_args[@]}"
  expect_rc go-client 0
  expect_line go-client.out "protocol: TLSv1.3"
  [ -n "$suite" ] && expect_line go-client.out "cipher: $suite"
  expect_line go-client.out "verified: yes"
  expect_line go-client.out "hello_retry_request: $hrr"
  [ "$variant" = alpn ] && expect_line go-client.out "alpn: http/1.1"
  expect go-client.out " 200 OK"
  expect_line go-client.out "protocol: TLSv1.3"
}

# --- curl --------------------------------------------------------------------------------

curl_case() {
  local variant=$1 cert=$2 port
  local srv_args=() cli_args=()
  case $variant in
    TLS_*) cli_args=(--tls13-ciphers "$variant") ;;
    hrr) srv_args=(--groups secp384r1) ;;
    alpn) srv_args=(--alpn http/1.1) ;;
  esac
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
    "${srv_args[@]}" --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client curl /dev/null curl -sS -v --max-time 10 --cacert "$ca" --resolve "localhost:$port:127.0.0.1" \
    --tlsv1.3 "${cli_args[@]}" "https://localhost:$port/"
  expect_rc curl 0
  expect_line curl.out "protocol: TLSv1.3"
  expect curl.err "SSL certificate verify ok."
  case $variant in
    TLS_*) expect curl.err "SSL connection using TLSv1.3 / $variant" ;;
    *) expect curl.err "SSL connection using TLSv1.3 / TLS_" ;;
  esac
  if [ "$variant" = hrr ]; then
    # A HelloRetryRequest makes curl (OpenSSL) send a second ClientHello.
    local hellos
    hellos=$(grep -c 'TLS handshake, Client hello (1)' "$cdir/curl.err")
    [ "$hellos" = 2 ] || fail "curl.err shows $hellos ClientHellos, expected 2 (a HelloRetryRequest)"
  fi
  [ "$variant" = alpn ] && expect curl.err "ALPN: server accepted http/1.1"
}

# --- simple one-record servers: Python ssl and wolfSSL (issue 8, item 7) -----------------

# tlspp client --request -> a server that reads one record, answers and closes (Python ssl
# without close_notify, wolfSSL with it). The close_notify of a client that does not wait
# for the answer is still unread when such a server closes, so the server's kernel resets
# the connection and the answer can be lost: the answer must arrive in each of 5 runs.
simple_server_case() {
  local peer=$1 cert=$2 port runs=5 i
  case $peer in
    python)
      start_server server "$python" "$pypeer" server --cert "$pki/$cert.pem" --key "$pki/$cert.key" --count "$runs" ;;
    wolfssl) start_server server "$wolfpeer" "$pki/$cert.pem" "$pki/$cert.key" "$runs" ;;
  esac
  port=$(wait_listening "$cdir/server.err") || return
  local lost=0 rc
  for ((i = 1; i <= runs; i++)); do
    client "tlspp-$i" /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
      --request "$http_request" --summary
    rc=$(cat "$cdir/tlspp-$i.rc")
    if ! grep -q "^HTTP/1.0 200 OK" "$cdir/tlspp-$i.out" || ! grep -qF "$peer server: TLSv1.3 " "$cdir/tlspp-$i.out" ||
       ! grep -qxF "request: GET / HTTP/1.0" "$cdir/tlspp-$i.out"; then
      lost=$((lost + 1))
      fail "run $i of $runs: the reply is missing from tlspp-$i.out (exit $rc; $(tail -n1 "$cdir/tlspp-$i.err"))"
    elif [ "$rc" != 0 ]; then
      fail "run $i of $runs: the reply arrived but tlspp exited $rc ($(tail -n1 "$cdir/tlspp-$i.err"))"
    fi
    expect_tlspp_summary "tlspp-$i.err" "" no
  done
  [ "$lost" = 0 ] || fail "the reply was lost in $lost of $runs runs"
}

# Python ssl client (create_default_context: verifies chain and name) -> tlspp server --http.
python_client_case() {
  local cert=$1 port
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" --http
  port=$(wait_listening "$cdir/tlspp.err") || return
  client py-client /dev/null "$python" "$pypeer" client --connect "127.0.0.1:$port" --ca "$ca" \
    --servername localhost --request "$http_request"
  expect_rc py-client 0
  expect_line py-client.out "protocol: TLSv1.3"
  expect py-client.out "cipher: TLS_"
  expect py-client.out " 200 OK"
  expect_line py-client.out "signature_scheme: ${cert_scheme[$cert]}"
  expect_line py-client.out "sni: localhost"
}

# Node tls client -> tlspp server --echo: the line comes back, then Node ends its side.
node_client_case() {
  local cert=$1 port
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" --echo
  port=$(wait_listening "$cdir/tlspp.err") || return
  client node-client /dev/null node "$nodepeer" client "127.0.0.1:$port" "$ca" localhost "echo line from node"
  expect_rc node-client 0
  expect_line node-client.out "protocol: TLSv1.3"
  expect node-client.out "cipher: TLS_"
  expect_line node-client.out "authorized: true"
  expect_line node-client.out "echo line from node"
}

# --- NSS ---------------------------------------------------------------------------------

# tlspp_server_both ORDER ARGS...: tlspp server with the Ed25519 and the ECDSA certificate
# for localhost, in ORDER ("ed25519 ecdsa" or "ecdsa ed25519"); sets $port.
tlspp_server_both() {
  local order=$1 c cert_args=()
  shift
  for c in $order; do cert_args+=(--cert "$pki/$c.pem" --key "$pki/$c.key"); done
  start_server tlspp "$tlspp" server --listen 127.0.0.1:0 "${cert_args[@]}" "$@"
  port=$(wait_listening "$cdir/tlspp.err")
}

# tstclnt (TLS 1.3 only; verifies against the NSS database holding the root) -> tlspp server
# --http, restricted to one suite, or forcing a HelloRetryRequest (--groups secp384r1), or
# holding both an Ed25519 and an ECDSA certificate (NSS has no Ed25519 in TLS: it must get
# the ECDSA one). The page names what the server negotiated.
nss_client_case() {
  local variant=$1 cert=$2 port scheme
  local cli_args=()
  case $cert in
    both) tlspp_server_both "ed25519 ecdsa" --http || return; scheme=${cert_scheme[ecdsa]} ;;
    *)
      local srv_args=()
      [ "$variant" = hrr ] && srv_args=(--groups secp384r1)
      start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
        "${srv_args[@]}" --http
      port=$(wait_listening "$cdir/tlspp.err") || return
      scheme=${cert_scheme[$cert]}
      ;;
  esac
  case $variant in
    TLS_AES_128_GCM_SHA256) cli_args=(-c :1301) ;;
    TLS_AES_256_GCM_SHA384) cli_args=(-c :1302) ;;
    TLS_CHACHA20_POLY1305_SHA256) cli_args=(-c :1303) ;;
  esac
  client tstclnt "$work/http-request" tstclnt -4 -h 127.0.0.1 -p "$port" -a localhost -d "sql:$nssdb/ca" \
    -V tls1.3:tls1.3 "${cli_args[@]}"
  expect_rc tstclnt 0
  expect tstclnt.out " 200 OK"
  expect_line tstclnt.out "protocol: TLSv1.3"
  case $variant in TLS_*) expect_line tstclnt.out "cipher: $variant" ;; esac
  expect_line tstclnt.out "signature_scheme: $scheme"
  expect_line tstclnt.out "sni: localhost"
  if [ "$variant" = hrr ]; then
    expect_line tstclnt.out "hello_retry_request: yes"
    expect_line tstclnt.out "group: secp384r1"
  fi
}

# tlspp client -> selfserv (TLS 1.3 only; ECDSA key with -e, RSA with -n), which answers an
# HTTP request with the request itself. One suite by tlspp --ciphers, or -I P384: the only
# group selfserv accepts is not among tlspp's first key shares, so it sends a
# HelloRetryRequest.
nss_server_case() {
  local variant=$1 cert=$2 port=$((next_port++)) suite=""
  local srv_args=() cli_args=() hrr=no
  case $cert in
    ecdsa) srv_args=(-e ecdsa) ;;
    rsa) srv_args=(-n rsa) ;;
  esac
  case $variant in
    TLS_*) suite=$variant; cli_args=(--ciphers "$suite") ;;
    hrr) srv_args+=(-I P384); hrr=yes ;;
  esac
  start_server selfserv selfserv -d "sql:$nssdb/$cert" -p "$port" -V tls1.3:tls1.3 -v "${srv_args[@]}"
  wait_port "$port" || return
  client tlspp /dev/null "$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca" \
    --request "$http_request" --summary "${cli_args[@]}"
  expect_rc tlspp 0
  expect tlspp.out "Server: Generic Web Server"
  expect tlspp.out $'\r\n\r\nGET / HTTP/1.0\r\nHost: localhost\r\n'  # the request, echoed as the body
  expect_tlspp_summary tlspp.err "$suite" "$hrr"
  expect_line tlspp.err "signature_scheme: ${cert_scheme[$cert]}"
  [ "$variant" = hrr ] && expect_line tlspp.err "group: secp384r1"
  expect selfserv.err "selfserv: SSL version 3.4 using"  # 3.4 is TLS 1.3
}

# --- the server's choice among several certificates (issue 8, item 9) --------------------

# openssl s_client whose signature_algorithms hold one scheme -> tlspp server with both
# certificates in ORDER: the server must pick the certificate that scheme can sign with,
# wherever it is in its list.
ossl_client_both() {
  local order=$1 sigalg=$2 want=$3 cert=$4 port
  tlspp_server_both "$order" --http || return
  client s_client "$work/http-request" openssl s_client -connect "127.0.0.1:$port" -servername localhost \
    -tls1_3 -sigalgs "$sigalg" -CAfile "$ca" -verify_return_error -ign_eof
  expect_rc s_client 0
  expect s_client.out "New, TLSv1.3, Cipher is TLS_"
  expect s_client.out "Verify return code: 0 (ok)"
  case $want in
    ed25519) expect s_client.out "Peer signature type: ed25519" ;;
    ecdsa) expect s_client.out "Peer signature type: ECDSA" ;;
  esac
  expect s_client.out " 200 OK"
  expect_line s_client.out "signature_scheme: ${cert_scheme[$want]}"
}

# --- headless Chromium (issue 8, items 8 and 9) ------------------------------------------

# chromium --headless=new --dump-dom https://localhost:PORT/ -> tlspp server --http (also
# with --alpn h2,http/1.1, or with both certificates, Ed25519 first: Chromium has no Ed25519
# in TLS). Chromium trusts the root through the NSS database in its throw-away HOME; the
# dumped DOM must hold the server's page. Chromium exits 0 even when the page failed to
# load, so only the page counts.
chromium_case() {
  local variant=$1 cert=$2 port scheme
  local srv_args=()
  [ "$variant" = alpn ] && srv_args=(--alpn h2,http/1.1)
  if [ "$cert" = both ]; then
    tlspp_server_both "ed25519 ecdsa" --http || return
    scheme=${cert_scheme[ecdsa]}
  else
    start_server tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/$cert.pem" --key "$pki/$cert.key" \
      "${srv_args[@]}" --http
    port=$(wait_listening "$cdir/tlspp.err") || return
    scheme=${cert_scheme[$cert]}
  fi
  client_limit=60 client chromium /dev/null env HOME="$chrome_home" chromium --headless=new --no-sandbox \
    --disable-gpu --user-data-dir="$cdir/chromium-profile" --dump-dom "https://localhost:$port/"
  expect_rc chromium 0
  local why
  why=$(grep -o 'Page load failed: .*' "$cdir/chromium.err" | head -n1)
  [ -z "$why" ] || fail "chromium: $why"
  expect chromium.out "<pre style=\"word-wrap: break-word; white-space: pre-wrap;\">protocol: TLSv1.3"
  expect_line chromium.out "signature_scheme: $scheme"
  expect_line chromium.out "sni: localhost"
}

# --- the matrix --------------------------------------------------------------------------

echo "tlspp interop: $tlspp"
echo "peers: $(openssl version 2>/dev/null | cut -d' ' -f1-2), GnuTLS $(gnutls-cli --version 2>/dev/null | sed -n 's/^gnutls-cli \([0-9.]*\).*/\1/p'), $(go version 2>/dev/null | cut -d' ' -f3), $(curl --version 2>/dev/null | head -n1 | cut -d' ' -f1-2),"
echo "       NSS $(dpkg-query -W -f='${Version}' libnss3 2>/dev/null | sed 's/^[0-9]*://; s/-.*//'), $("$python" --version 2>&1), Node $(node --version 2>/dev/null), wolfSSL $(dpkg-query -W -f='${Version}' libwolfssl-dev 2>/dev/null | sed 's/-.*//'), $(chromium --version 2>/dev/null | cut -d' ' -f1-2)"
echo
printf '%-4s  %-8s %-27s %-30s %-13s %8s\n' result peer direction variant certificate time

for cert in "${certs[@]}"; do
  for suite in "${suites[@]}"; do
    run_case openssl "tlspp-client -> s_server" "$suite" "$cert" ossl_server_suite "$suite"
  done
  run_case openssl "tlspp-client -> s_server" "HRR (server secp384r1)" "$cert" ossl_server_hrr
  run_case openssl "tlspp-client -> s_server" "data (-rev)" "$cert" ossl_server_rev
  run_case openssl "tlspp-client -> s_server" "untrusted root: must fail" "$cert" ossl_server_reject untrusted
  run_case openssl "tlspp-client -> s_server" "wrong name: must fail" "$cert" ossl_server_reject name
  run_case openssl "tlspp-client -> s_server" "TLS 1.2-only server: says so" "$cert" tls12_only_server openssl
  for suite in "${suites[@]}"; do
    run_case openssl "s_client -> tlspp-server" "$suite" "$cert" ossl_client_suite "$suite"
  done
  run_case openssl "s_client -> tlspp-server" "HRR (server secp384r1)" "$cert" ossl_client_hrr
  run_case openssl "s_client -> tlspp-server" "data (--echo)" "$cert" ossl_client_echo

  for suite in "${suites[@]}"; do
    run_case gnutls "tlspp-client -> gnutls-serv" "$suite" "$cert" gnutls_server_suite "$suite"
  done
  run_case gnutls "tlspp-client -> gnutls-serv" "HRR (server secp384r1)" "$cert" gnutls_server_hrr
  run_case gnutls "tlspp-client -> gnutls-serv" "TLS 1.2-only server: says so" "$cert" tls12_only_server gnutls
  for suite in "${suites[@]}"; do
    run_case gnutls "gnutls-cli -> tlspp-server" "$suite" "$cert" gnutls_client_suite "$suite"
  done
  run_case gnutls "gnutls-cli -> tlspp-server" "HRR (server secp384r1)" "$cert" gnutls_client_hrr

  for suite in "${suites[@]}"; do
    run_case go "tlspp-client -> go-server" "$suite" "$cert" go_server_case "$suite"
  done
  run_case go "tlspp-client -> go-server" "HRR (server secp384r1)" "$cert" go_server_case hrr
  run_case go "tlspp-client -> go-server" "ALPN http/1.1" "$cert" go_server_case alpn
  for suite in "${suites[@]}"; do
    run_case go "go-client -> tlspp-server" "$suite" "$cert" go_client_case "$suite"
  done
  run_case go "go-client -> tlspp-server" "HRR (server secp384r1)" "$cert" go_client_case hrr
  run_case go "go-client -> tlspp-server" "ALPN http/1.1" "$cert" go_client_case alpn

  for suite in "${suites[@]}"; do
    run_case curl "curl -> tlspp-server" "$suite" "$cert" curl_case "$suite"
  done
  run_case curl "curl -> tlspp-server" "HRR (server secp384r1)" "$cert" curl_case hrr
  run_case curl "curl -> tlspp-server" "ALPN http/1.1" "$cert" curl_case alpn

  run_case python "tlspp-client -> py-server" "reply to --request (5 runs)" "$cert" simple_server_case python
  run_case python "py-client -> tlspp-server" "page (--http)" "$cert" python_client_case
  run_case wolfssl "tlspp-client -> wolfssl" "reply to --request (5 runs)" "$cert" simple_server_case wolfssl
  run_case node "node-client -> tlspp-server" "data (--echo)" "$cert" node_client_case
done

# NSS and Chromium have no Ed25519 in TLS: ECDSA and RSA only, and the server holding both
# an Ed25519 and an ECDSA certificate must choose the ECDSA one for them.
for cert in ecdsa rsa; do
  for suite in "${suites[@]}"; do
    run_case nss "tstclnt -> tlspp-server" "$suite" "$cert" nss_client_case "$suite"
  done
  run_case nss "tstclnt -> tlspp-server" "HRR (server secp384r1)" "$cert" nss_client_case hrr
  for suite in "${suites[@]}"; do
    run_case nss "tlspp-client -> selfserv" "$suite" "$cert" nss_server_case "$suite"
  done
  run_case nss "tlspp-client -> selfserv" "HRR (server P-384)" "$cert" nss_server_case hrr
done
run_case nss "tstclnt -> tlspp-server" "both certs, Ed25519 first" both nss_client_case any

run_case openssl "s_client -> tlspp-server" "Ed25519 first, client ed25519" both \
  ossl_client_both "ed25519 ecdsa" ed25519 ed25519
run_case openssl "s_client -> tlspp-server" "Ed25519 first, client ECDSA" both \
  ossl_client_both "ed25519 ecdsa" ecdsa_secp256r1_sha256 ecdsa
run_case openssl "s_client -> tlspp-server" "ECDSA first, client ed25519" both \
  ossl_client_both "ecdsa ed25519" ed25519 ed25519

run_case chromium "chromium -> tlspp-server" "page (--http)" ecdsa chromium_case http
run_case chromium "chromium -> tlspp-server" "page (--http)" rsa chromium_case http
run_case chromium "chromium -> tlspp-server" "ALPN h2,http/1.1 (--http)" ecdsa chromium_case alpn
run_case chromium "chromium -> tlspp-server" "both certs, Ed25519 first" both chromium_case http

echo
echo "interop matrix (TLS 1.3 on 127.0.0.1):"
printf '%-8s %-27s %-30s' peer direction variant
for cert in "${columns[@]}"; do printf ' %-13s' "${cert_label[$cert]}"; done
printf '\n'
for key in "${rows[@]}"; do
  IFS='|' read -r peer direction variant <<<"$key"
  printf '%-8s %-27s %-30s' "$peer" "$direction" "$variant"
  for cert in "${columns[@]}"; do printf ' %-13s' "${cell[$key|$cert]:--}"; done
  printf '\n'
done
echo
echo "interop took $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
