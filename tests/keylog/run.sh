#!/usr/bin/env bash
# tlspp key log, proven with a third-party tool: loopback TLS 1.3 and TLS 1.2 sessions between the
# `tlspp` command and real peers are captured with tshark and decrypted with the NSS key
# log that tlspp wrote; the HTTP request and response must be readable in the decrypted
# capture, and must not be without the key log.
#
# Usage: tests/keylog/run.sh PATH/TO/tlspp
#   TLSPP_KEYLOG_KEEP=1 keeps the temporary directory (captures, key logs, logs).
#
# Sessions (see README.md):
#   1. tlspp client --keylog          -> openssl s_server -www   (TLS_AES_256_GCM_SHA384)
#   2. curl (no key log of its own)   -> tlspp server --http --keylog
#   3. tlspp client, $SSLKEYLOGFILE   -> openssl s_server -www   (TLS_CHACHA20_POLY1305_SHA256)
#   4. tlspp client --keylog          -> openssl s_server -tls1_2 (ECDHE-ECDSA-AES256-GCM-SHA384)
#   5. curl --tls-max 1.2             -> tlspp server --http --keylog (TLS 1.2)
#
# Like tests/interop, the script re-executes itself in a new network namespace holding
# only `lo`, so that the capture sees the test's traffic alone and none leaves the machine.
# Every process it starts is bounded by `timeout` and stopped by PID. Output: one line per
# check, the decrypted HTTP as tshark shows it, then "N passed, M failed"; the exit status
# is 1 when any check failed.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/tlspp" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
tlspp=$(readlink -f "$1")
if [ ! -x "$tlspp" ]; then
  echo "keylog: '$1' is not an executable" >&2
  exit 2
fi

# shellcheck source=../lib/loopback.sh
source "$here/../lib/loopback.sh"
loopback_netns keylog "$self" "$@"


missing=()
for tool in tshark openssl curl timeout ss; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "keylog: missing ${missing[*]} (scripts/deps.sh test installs them)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Only tlspp may write key logs here: an inherited $SSLKEYLOGFILE would make curl and
# OpenSSL write one as well (session 3 sets it for tlspp alone).
unset SSLKEYLOGFILE

started=$(date +%s)
loopback_workdir keylog TLSPP_KEYLOG_KEEP  # $work, `live` (background PIDs), the exit trap

pki=$work/pki
if ! bash "$here/../interop/gen-certs.sh" "$pki"; then
  echo "keylog: certificate generation failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
ca=$pki/ca.pem
# tshark must not read the user's preferences (one could name a key log file of its own).
mkdir -p "$work/home"
tshark_env=(env HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config")

passed=0
failed=0
session=""
sdir=""

pass() {
  passed=$((passed + 1))
  printf 'pass  %-40s %s\n' "$session" "$1"
}

# fail CHECK WHY [FILE...]: WHY, then the last lines of each FILE.
fail() {
  local check=$1 why=$2 f
  shift 2
  failed=$((failed + 1))
  printf 'FAIL  %-40s %s\n' "$session" "$check"
  printf '        why: %s\n' "$why"
  for f in "$@"; do
    [ -s "$f" ] || continue
    echo "        --- ${f#"$work"/} (last lines)"
    grep -v '^Running as user ' "$f" | tail -n 8 | cut -c1-200 | sed 's/^/        | /'
  done
}

# start_bg NAME CMD...: runs CMD in the background for 30 s at most (stdout/stderr in
# NAME.out/.err of the session directory); its PID goes to bg_pid.
bg_pid=""
start_bg() {
  local name=$1; shift
  timeout -k 2 30 "$@" </dev/null >"$sdir/$name.out" 2>"$sdir/$name.err" &
  bg_pid=$!
  live[$bg_pid]=1
}

# stop_pid PID [SIGNAL]: signals PID (a `timeout` process, which passes the signal on),
# waits up to 5 s, then kills it. Returns 0 when it ended on the signal alone.
stop_pid() {
  local p=$1 sig=${2:-TERM} i rc=0
  kill -s "$sig" "$p" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$p" 2>/dev/null; then
    rc=1
    pkill -KILL -P "$p" 2>/dev/null
    kill -KILL "$p" 2>/dev/null
  fi
  wait "$p" 2>/dev/null
  unset "live[$p]"
  return $rc
}

# wait_listening FILE PID: until FILE has "listening on 127.0.0.1:PORT"; prints PORT.
wait_listening() {
  local i port
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | head -n1)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$2" 2>/dev/null || break
    sleep 0.025
  done
  return 1
}

# wait_port PORT PID: until something listens on 127.0.0.1:PORT (5 s at most).
wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.025
  done
  return 1
}

# --- capture -------------------------------------------------------------------------------
#
# tshark prints "Capturing on" and creates its file before packets really reach it, and
# it writes packets to the file in batches, so a fixed sleep could lose the handshake or
# the end of the session. Instead, marker datagrams (UDP port 9, included in the capture
# filter) are sent until one is in the file: a start marker before the session, an end
# marker after it. Packets reach the file in order, so once the end marker is there,
# the whole session is too.
probe_port=9
cap_pid=""

# send_marker TEXT: until TEXT is in the capture file (10 s at most), one datagram each 50 ms.
send_marker() {
  local text=$1 i
  for ((i = 0; i < 200; i++)); do
    echo "$text" >"/dev/udp/127.0.0.1/$probe_port" 2>/dev/null
    grep -qaF -- "$text" "$sdir/cap.pcapng" 2>/dev/null && return 0
    kill -0 "$cap_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# capture_start PORT: tshark on lo for TCP port PORT (and the markers); 1 if it never
# captured the start marker.
capture_start() {
  start_bg tshark-capture "${tshark_env[@]}" tshark -i lo -f "tcp port $1 or udp port $probe_port" \
    -w "$sdir/cap.pcapng"
  cap_pid=$bg_pid
  send_marker "tlspp-keylog-start-$session_no"
}

# capture_stop: end marker, then SIGINT (tshark closes the file properly) and wait.
capture_stop() {
  local ok=0
  send_marker "tlspp-keylog-end-$session_no" || ok=1
  stop_pid "$cap_pid" INT || ok=1
  cap_pid=""
  return $ok
}

# read_capture OUT KEYLOG -- TSHARK-ARGS...: tshark -r on the capture, with the key log
# KEYLOG (empty: none), stdout to OUT. http.desegment_body is off because s_server -www
# answers HTTP/1.0 without Content-Length: tshark would wait for the end of the body, which
# it never sees through TLS, and not show the response at all; the status line is enough.
read_capture() {
  local out=$1 keylog=$2
  shift 3
  timeout -k 2 20 "${tshark_env[@]}" tshark -r "$sdir/cap.pcapng" -o "tls.keylog_file:$keylog" \
    -o http.desegment_body:FALSE "$@" >"$out" 2>>"$sdir/tshark-read.err"
}

# --- checks ----------------------------------------------------------------------------------

# check_keylog FILE [1.2]: the NSS key log format of one connection: for TLS 1.3 each of the
# five labels once, for TLS 1.2 one CLIENT_RANDOM line (the 48-byte master secret, RFC 5246
# §8.1); one client random, which must be the ClientHello's random in the capture; secrets as
# long as the negotiated suite's hash (TLS 1.3) or 48 bytes (TLS 1.2).
check_keylog() {
  local file=$1 version=${2:-1.3} labels expected bad randoms hello_random suite secret_hex
  if [ ! -s "$file" ]; then
    fail "key log written" "tlspp wrote no key log to ${file#"$work"/}"
    return
  fi
  labels=$(awk '{print $1}' "$file" | sort | tr '\n' ' ')
  if [ "$version" = 1.2 ]; then
    expected="CLIENT_RANDOM "
  else
    expected="CLIENT_HANDSHAKE_TRAFFIC_SECRET CLIENT_TRAFFIC_SECRET_0 EXPORTER_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET SERVER_TRAFFIC_SECRET_0 "
  fi
  if [ "$labels" = "$expected" ]; then
    pass "key log has the TLS $version labels ($expected), each once"
  else
    fail "key log labels" "expected one line each of: $expected; found: $labels" "$file"
  fi

  # RFC 8446 §4.1.2 / §7.1: the client random is 32 bytes; secrets are Hash.length bytes.
  read_capture "$sdir/hello.txt" "" -- -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.random
  read_capture "$sdir/server-hello.txt" "" -- -Y 'tls.handshake.type == 2' -T fields -e tls.handshake.ciphersuite
  hello_random=$(head -n1 "$sdir/hello.txt" | tr -d ':' | tr 'A-F' 'a-f')
  suite=$(head -n1 "$sdir/server-hello.txt")
  case $version/$suite in
    1.3/0x1301|1.3/0x1303|1.3/0x1304|1.3/0x1305) secret_hex=64 ;;  # SHA-256 suites
    1.3/0x1302) secret_hex=96 ;;                                 # TLS_AES_256_GCM_SHA384
    1.2/0xc0*|1.2/0xcca*) secret_hex=96 ;;                       # the master secret
    *) secret_hex="" ;;
  esac
  if [ -z "$secret_hex" ]; then
    fail "key log secret lengths" "no TLS $version cipher suite in the captured ServerHello ('$suite')" \
      "$sdir/server-hello.txt" "$sdir/tshark-read.err"
  else
    bad=$(grep -Evx "[A-Z_0-9]+ [0-9a-fA-F]{64} [0-9a-fA-F]{$secret_hex}" "$file")
    if [ -z "$bad" ]; then
      pass "key log lines are LABEL <64 hex> <$secret_hex hex> (suite $suite)"
    else
      fail "key log line format" "lines not of the form LABEL <64 hex client random> <$secret_hex hex secret> for suite $suite: $(echo "$bad" | head -n2 | tr '\n' ' ')"
    fi
  fi
  randoms=$(awk '{print tolower($2)}' "$file" | sort -u)
  if [ "$(echo "$randoms" | wc -l)" != 1 ]; then
    fail "key log client random" "the lines carry different client randoms: $(echo "$randoms" | tr '\n' ' ')"
  elif [ -z "$hello_random" ]; then
    fail "key log client random" "no ClientHello random in the capture" "$sdir/hello.txt" "$sdir/tshark-read.err"
  elif [ "$randoms" = "$hello_random" ]; then
    pass "key log client random = captured ClientHello.random"
  else
    fail "key log client random" "key log has $randoms, the captured ClientHello.random is $hello_random"
  fi
}

# check_decryption KEYLOG [1.2]: with KEYLOG, tshark must decrypt the handshake (both Finished
# messages need both handshake traffic secrets; in TLS 1.2 the master secret) and the HTTP
# exchange (both application traffic secrets); without it, none of that may be visible,
# while the capture does hold the session's ClientHello.
check_decryption() {
  local keylog=$1 version=${2:-1.3} types types_plain want want_plain
  read_capture "$sdir/hs.txt" "$keylog" -- -Y tls.handshake -T fields -e tls.handshake.type
  read_capture "$sdir/http.tsv" "$keylog" -- -Y http -T fields -e http.request.method -e http.request.uri -e http.response.code
  read_capture "$sdir/http.txt" "$keylog" -- -Y http
  read_capture "$sdir/hs-plain.txt" "" -- -Y tls.handshake -T fields -e tls.handshake.type
  read_capture "$sdir/http-plain.txt" "" -- -Y http
  read_capture "$sdir/tls-plain.txt" "" -- -Y tls

  # RFC 8446 §4: 1 ClientHello, 2 ServerHello, 8 EncryptedExtensions, 11 Certificate,
  # 15 CertificateVerify, 20 Finished (server's under the server handshake secret,
  # client's under the client handshake secret).
  types=$(tr ',' '\n' <"$sdir/hs.txt" | sed '/^$/d' | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')
  types_plain=$(tr ',' '\n' <"$sdir/hs-plain.txt" | sed '/^$/d' | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')
  # RFC 5246 §7.3: in TLS 1.2 only the two Finished are encrypted; Certificate (11),
  # ServerKeyExchange (12), ServerHelloDone (14) and ClientKeyExchange (16) are in the clear.
  if [ "$version" = 1.2 ]; then
    want="1:1 2:1 11:1 12:1 14:1 16:1 20:2 "
    want_plain="1:1 2:1 11:1 12:1 14:1 16:1 "
  else
    want="8:1 11:1 15:1 20:2 "
    want_plain="1:1 2:1 "
  fi
  if [[ " $types" == *" $want"* ]]; then
    pass "decrypted handshake: types $want(type:count), both Finished"
  else
    fail "decrypted handshake" "handshake types (type:count) with the key log: '$types'; expected $want" \
      "$sdir/hs.txt" "$sdir/tshark-read.err"
  fi

  if grep -qxP 'GET\t/\t' "$sdir/http.tsv"; then
    pass "decrypted capture shows the request GET /"
  else
    fail "decrypted request" "no 'GET /' request in the capture decrypted with the key log" \
      "$sdir/http.tsv" "$sdir/tshark-read.err"
  fi
  if grep -qxP '\t\t200' "$sdir/http.tsv"; then
    pass "decrypted capture shows the response 200"
  else
    fail "decrypted response" "no HTTP response with code 200 in the capture decrypted with the key log" \
      "$sdir/http.tsv" "$sdir/tshark-read.err"
  fi

  if [ -s "$sdir/tls-plain.txt" ] && [ ! -s "$sdir/http-plain.txt" ] && [ "$types_plain" = "$want_plain" ]; then
    pass "without the key log: TLS only (handshake types $want_plain), no HTTP"
  else
    fail "negative control" "without a key log expected TLS records, handshake types '$want_plain' and no HTTP; got types '$types_plain' and $(wc -l <"$sdir/http-plain.txt") HTTP frames" \
      "$sdir/http-plain.txt" "$sdir/tls-plain.txt"
  fi

  # The evidence, as tshark prints it.
  sed 's/^ */        decrypted | /' "$sdir/http.txt"
}

begin_session() {
  session_no=$1
  session=$2
  sdir=$work/session-$1
  mkdir -p "$sdir"
}

# --- sessions ----------------------------------------------------------------------------------

# tlspp client -> openssl s_server -www. $3 = "option" (--keylog FILE) or "env"
# ($SSLKEYLOGFILE, for tlspp only). s_server writes its own key log too: both ends of one
# connection must have logged the same secrets.
session_tlspp_client() {
  local port=$1 suite=$2 how=$3 version=${4:-1.3} keylog srv_pid rc
  keylog=$sdir/tlspp.keylog
  local suite_args=(-tls1_3 -ciphersuites "$suite")
  # -no_ticket: the TLS 1.2 handshake types checked below are those of a session without
  # a NewSessionTicket.
  [ "$version" = 1.2 ] && suite_args=(-tls1_2 -cipher "$suite" -no_ticket)
  start_bg s_server openssl s_server -accept "127.0.0.1:$port" -cert "$pki/ecdsa.pem" -key "$pki/ecdsa.key" \
    "${suite_args[@]}" -www -naccept 1 -keylogfile "$sdir/openssl.keylog"
  srv_pid=$bg_pid
  if ! wait_port "$port" "$srv_pid"; then
    fail "s_server listening" "openssl s_server did not listen on 127.0.0.1:$port" "$sdir/s_server.err"
    stop_pid "$srv_pid"
    return
  fi
  if ! capture_start "$port"; then
    fail "capture started" "tshark did not capture the start marker within 10 s" "$sdir/tshark-capture.err"
    stop_pid "$cap_pid" INT
    stop_pid "$srv_pid"
    return
  fi
  local client_cmd=("$tlspp" client "127.0.0.1:$port" --servername localhost --ca "$ca"
                    --request 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
  if [ "$how" = option ]; then
    timeout -k 2 10 "${client_cmd[@]}" --keylog "$keylog" </dev/null >"$sdir/tlspp.out" 2>"$sdir/tlspp.err"
  else
    timeout -k 2 10 env SSLKEYLOGFILE="$keylog" "${client_cmd[@]}" </dev/null >"$sdir/tlspp.out" 2>"$sdir/tlspp.err"
  fi
  rc=$?
  capture_stop || fail "capture complete" "tshark did not capture the end marker or did not stop on SIGINT" "$sdir/tshark-capture.err"
  stop_pid "$srv_pid"
  if [ "$rc" = 0 ] && head -n1 "$sdir/tlspp.out" | grep -q '^HTTP/1\.0 200 ok'; then
    pass "session: tlspp client got 'HTTP/1.0 200 ok'"
  else
    fail "session" "tlspp client exited $rc; expected 0 and the s_server status page" "$sdir/tlspp.out" "$sdir/tlspp.err" "$sdir/s_server.err"
  fi
  check_keylog "$keylog" "$version"
  if [ -s "$sdir/openssl.keylog" ] && diff <(grep -v '^#' "$sdir/openssl.keylog" | sort) <(sort "$keylog") >"$sdir/keylog.diff"; then
    pass "key log = openssl s_server's key log of the same connection"
  else
    fail "key log vs openssl" "tlspp's key log differs from s_server -keylogfile" "$sdir/keylog.diff" "$sdir/openssl.keylog"
  fi
  check_decryption "$keylog" "$version"
}

# curl -> tlspp server --http --keylog: the key log comes from the server; curl writes none.
session_tlspp_server() {
  local version=${1:-1.3} keylog=$sdir/tlspp.keylog srv_pid port rc code
  local curl_version=(--tlsv1.3)
  [ "$version" = 1.2 ] && curl_version=(--tlsv1.2 --tls-max 1.2)
  start_bg tlspp "$tlspp" server --listen 127.0.0.1:0 --cert "$pki/ecdsa.pem" --key "$pki/ecdsa.key" \
    --http --keylog "$keylog"
  srv_pid=$bg_pid
  if ! port=$(wait_listening "$sdir/tlspp.err" "$srv_pid"); then
    fail "tlspp server listening" "tlspp server never printed 'listening on 127.0.0.1:PORT'" "$sdir/tlspp.err"
    stop_pid "$srv_pid"
    return
  fi
  if ! capture_start "$port"; then
    fail "capture started" "tshark did not capture the start marker within 10 s" "$sdir/tshark-capture.err"
    stop_pid "$cap_pid" INT
    stop_pid "$srv_pid"
    return
  fi
  code=$(timeout -k 2 15 env -u SSLKEYLOGFILE curl -sS --max-time 10 "${curl_version[@]}" --cacert "$ca" \
    --resolve "localhost:$port:127.0.0.1" -o "$sdir/curl.out" -w '%{http_code}' "https://localhost:$port/" \
    2>"$sdir/curl.err")
  rc=$?
  capture_stop || fail "capture complete" "tshark did not capture the end marker or did not stop on SIGINT" "$sdir/tshark-capture.err"
  if stop_pid "$srv_pid"; then
    pass "tlspp server stopped on SIGTERM"
  else
    fail "tlspp server stop" "tlspp server was still running 5 s after SIGTERM" "$sdir/tlspp.err"
  fi
  if [ "$rc" = 0 ] && [ "$code" = 200 ] && grep -qxF "protocol: TLSv$version" "$sdir/curl.out"; then
    pass "session: curl got 200 and 'protocol: TLSv$version'"
  else
    fail "session" "curl exited $rc with HTTP code '$code'; expected 0, 200 and 'protocol: TLSv$version'" \
      "$sdir/curl.out" "$sdir/curl.err" "$sdir/tlspp.err"
  fi
  check_keylog "$keylog" "$version"
  check_decryption "$keylog" "$version"
}

echo "tlspp key log with tshark: $tlspp"
echo "tools: $(tshark --version 2>/dev/null | head -n1 | cut -d' ' -f1-3), $(openssl version 2>/dev/null | cut -d' ' -f1-2), $(curl --version 2>/dev/null | head -n1 | cut -d' ' -f1-2)"
echo

begin_session 1 "tlspp client --keylog -> s_server"
session_tlspp_client 20100 TLS_AES_256_GCM_SHA384 option
begin_session 2 "curl -> tlspp server --keylog"
session_tlspp_server
begin_session 3 "tlspp client \$SSLKEYLOGFILE -> s_server"
session_tlspp_client 20102 TLS_CHACHA20_POLY1305_SHA256 env
begin_session 4 "tlspp client --keylog -> s_server -tls1_2"
session_tlspp_client 20103 ECDHE-ECDSA-AES256-GCM-SHA384 option 1.2
begin_session 5 "curl --tls-max 1.2 -> tlspp server --keylog"
session_tlspp_server 1.2

echo
echo "keylog took $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
