#!/usr/bin/env bash
# Server benchmark: `tlspp server --http` against nginx and `openssl s_server`, driven by
# h2load on this machine, all on 127.0.0.1, all serving one ECDSA P-256 certificate made
# here, all speaking TLS 1.3 (X25519, TLS_AES_128_GCM_SHA256, as h2load negotiates).
#   scripts/bench-server.sh            (about a minute and a half)
#   scripts/bench-server.sh --quick    (under a minute, smaller counts)
# Prints a Markdown table on stdout; progress goes to stderr. TLSPP_BUILD names the build
# directory whose `tlspp` is measured (default build/bench, configured like scripts/bench.sh
# when missing); JOBS limits the build's parallelism (default 2).
#
# One new connection per request. h2load has no option for that, but with --h1 it opens a
# new connection whenever the server closes one and requests remain, so each server closes
# after every response: tlspp --http always does, nginx with `keepalive_timeout 0`, and
# s_server -HTTP (which serves files relative to its working directory, each a complete HTTP
# response, headers included, and closes after it; -WWW would write the header itself but
# send no Content-Length). `-n N -c C` then makes N connections, C at a time; the summary's
# "N succeeded" counts them. h2load keeps each client's TLS session and offers it on the
# client's next connection, so the "full" runs switch tickets (and nginx's session cache) off,
# and the "resumed" runs switch them on and let h2load resume: all but each client's first
# connection are resumed (checked for tlspp, whose log says resumed=yes|no).
#
# What is reported, per server and run:
#   - server CPU µs per connection: utime+stime of the server's processes (nginx: master and
#     worker) from /proc/PID/stat before and after the run, divided by the connections made.
#     With the load generator on the same 2 cores the client saturates first, so requests/s
#     mostly measures h2load; CPU per connection is what compares the servers.
#   - requests/s and failed requests (failed + errored + timeout), from h2load's summary.
#   - bytes per idle connection: VmRSS of the server's processes before and after a holder
#     (Python, non-blocking) has completed IDLE TLS handshakes and keeps the connections open
#     without a request, divided by IDLE. s_server serves one connection at a time (the others
#     wait in its accept queue), so it has no figure.
#   - tlspp's scaling from --threads 1 to --threads 2, two ways: the raw ratio of requests/s
#     (what h2load saw; bounded by h2load's own core), and the CPU-normalised ratio
#     2 x (connections per server CPU-second at 2 threads) / (the same at 1 thread): the rate
#     two dedicated cores would give at the per-connection cost measured with two threads.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=0
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-server.sh: unknown argument '$a' (--quick)" >&2; exit 2 ;;
  esac
done
if ((quick)); then N=1000 IDLE=2000; else N=6000 IDLE=10000; fi
C=16  # h2load clients at a time

say() { echo "bench-server: $*" >&2; }

for tool in h2load:nghttp2-client nginx:nginx; do
  command -v "${tool%%:*}" >/dev/null || PATH=$PATH:/usr/sbin command -v "${tool%%:*}" >/dev/null ||
    { say "installing ${tool#*:}"; apt-get install -y "${tool#*:}" >&2; }
done
NGINX=$(PATH=$PATH:/usr/sbin command -v nginx)

build=${TLSPP_BUILD:-build/bench}
if [[ ! -f $build/build.ninja ]]; then
  bash scripts/deps.sh bench >&2
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSPP_BENCH=ON -DTLSPP_TESTS=OFF >&2
fi
ninja -C "$build" -j"${JOBS:-2}" tlspp_cli >&2
TLSPP=$root/$build/tlspp
[[ $build = /* ]] && TLSPP=$build/tlspp

# The holder needs IDLE descriptors, and so does the server (each its own process).
hard=$(ulimit -Hn)
want=$((IDLE + 1000))
if [[ $hard != unlimited ]] && ((hard < want)); then
  say "the descriptor limit ($hard) is below $want: holding $((hard - 1000)) idle connections"
  IDLE=$((hard - 1000))
  want=$hard
fi
ulimit -n "$want"

tmp=$(mktemp -d /tmp/bench-server.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
mkdir "$tmp/www"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n' \
  > "$tmp/www/index.html"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The server's processes: PID and its children (nginx's worker).
procs() { echo "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); }
cpu_ticks() {
  local t=0 p f
  for p in $(procs "$1"); do
    f=$(sed 's/.*) //' /proc/"$p"/stat)
    t=$((t + $(echo "$f" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
rss_kb() {
  local t=0 p
  for p in $(procs "$1"); do t=$((t + $(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status))); done
  echo "$t"
}
wait_port() {
  for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  say "nothing listens on port $1"; return 1
}

tlspp_flags=(--quiet)  # no line per connection, as nginx has access_log off
# start_* set $server (the PID to watch), $port and $path.
start_tlspp() {  # THREADS TICKETS
  port=$(free_port) path=/
  "$TLSPP" server --http "${tlspp_flags[@]}" --listen "127.0.0.1:$port" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
    --threads "$1" --tickets "$2" --idle-timeout 0 --handshake-timeout 60 2>"$tmp/tlspp.log" &
  server=$!
  pids+=("$server")
  wait_port "$port"
}
start_s_server() {  # TICKETS
  port=$(free_port) path=/index.html
  local t=()
  (($1)) || t=(-num_tickets 0)
  (cd "$tmp/www" && exec openssl s_server -quiet -HTTP -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" \
    -key "$tmp/key.pem" "${t[@]}" >/dev/null 2>&1) &
  server=$!
  pids+=("$server")
  wait_port "$port"
}
start_nginx() {  # TICKETS
  port=$(free_port) path=/
  local tickets=off
  (($1)) && tickets=on
  mkdir -p "$tmp/nginx"
  cat > "$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile $want;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections $((IDLE + 500)); }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  keepalive_timeout 0;
  client_header_timeout 120s;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $tmp/cert.pem;
    ssl_certificate_key $tmp/key.pem;
    ssl_protocols TLSv1.3;
    ssl_session_tickets $tickets;
    ssl_session_cache off;
    location / { return 200 "hello\n"; }
  }
}
EOF
  "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/nginx/stderr" &
  server=$!
  pids+=("$server")
  wait_port "$port"
}
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}

# Runs h2load against the server; sets rps, ok, failed, us_per_conn.
load() {
  local before after out
  before=$(cpu_ticks "$server")
  out=$(h2load --h1 -n "$N" -c "$C" "https://127.0.0.1:$port$path" 2>&1) || true
  after=$(cpu_ticks "$server")
  rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  failed=$(echo "$out" | awk '/^requests:/ {print $10 + $12 + $14}')
  [[ -n $ok ]] || { say "h2load said: $out"; ok=0 failed=$N rps=0; }
  local hz
  hz=$(getconf CLK_TCK)
  us_per_conn=$(awk -v d=$((after - before)) -v hz="$hz" -v n="$ok" 'BEGIN { printf "%.0f", n ? d * 1e6 / hz / n : 0 }')
  cpu_s=$(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN { printf "%.3f", d / hz }')
}

cat > "$tmp/holder.py" <<'EOF'
# Opens N TLS connections to 127.0.0.1:PORT (a window of them at a time, non-blocking),
# prints "ready DONE FAILED" once every handshake has ended, then holds the connections,
# idle, until stdin closes.
import selectors, socket, ssl, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
sel = selectors.DefaultSelector()
held, failed, started, pending = [], 0, 0, 0
while len(held) + failed < n:
    while started < n and pending < 64:
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        t = ctx.wrap_socket(s, server_hostname="localhost", do_handshake_on_connect=False)
        sel.register(t, selectors.EVENT_WRITE)
        started += 1
        pending += 1
    events = sel.select(timeout=10)
    if not events:  # the server stopped answering: the rest count as failed
        failed += pending
        break
    for key, _ in events:
        t = key.fileobj
        try:
            t.do_handshake()
        except ssl.SSLWantReadError:
            sel.modify(t, selectors.EVENT_READ)
            continue
        except ssl.SSLWantWriteError:
            sel.modify(t, selectors.EVENT_WRITE)
            continue
        except OSError:
            failed += 1
            pending -= 1
            sel.unregister(t)
            t.close()
            continue
        sel.unregister(t)
        held.append(t)
        pending -= 1
print("ready", len(held), failed, flush=True)
sys.stdin.read()
EOF

# Sets bytes_per_idle (and idle_failed) for the running server.
idle() {
  local before after line holder
  sleep 0.5
  before=$(rss_kb "$server")
  mkfifo "$tmp/holder.in"
  python3 "$tmp/holder.py" "$port" "$IDLE" < "$tmp/holder.in" > "$tmp/holder.out" &
  holder=$!
  exec 7>"$tmp/holder.in"  # keeps the holder's stdin open
  for _ in $(seq 1200); do
    [[ -s $tmp/holder.out ]] && break
    kill -0 "$holder" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1  # the server may still be finishing the last handshakes
  after=$(rss_kb "$server")
  line=$(cat "$tmp/holder.out")
  exec 7>&-
  wait "$holder" 2>/dev/null || true
  rm -f "$tmp/holder.in" "$tmp/holder.out"
  local held
  held=$(echo "$line" | awk '{print $2}')
  idle_failed=$(echo "$line" | awk '{print $3}')
  [[ -n $held && $held -gt 0 ]] || { say "the holder failed: '$line'"; bytes_per_idle=-; idle_failed=$IDLE; return; }
  bytes_per_idle=$(( (after - before) * 1024 / held ))
}

# Whether the running server resumes a session: openssl s_client saves the tickets of a first
# connection (it reads until the server closes, so they arrive) and offers one on a second.
resumes() {
  local req='GET '$path' HTTP/1.0\r\n\r\n'
  printf "$req" | openssl s_client -connect "127.0.0.1:$port" -servername localhost -ign_eof \
    -sess_out "$tmp/session.pem" >/dev/null 2>&1 || true
  if printf "$req" | openssl s_client -connect "127.0.0.1:$port" -servername localhost -ign_eof \
    -sess_in "$tmp/session.pem" 2>/dev/null | grep -q '^Reused, TLSv1.3'; then
    echo yes
  else
    echo no
  fi
}

rows=()
row() { rows+=("| $1 | $2 | $ok | $us_per_conn | $rps | $failed | $3 |"); }
declare -A cpu bytes

say "tlspp, full handshakes, 1 thread"
start_tlspp 1 0; load; cpu[tlspp]=$us_per_conn; rps1=$rps; eff1=$(awk -v n="$ok" -v c="$cpu_s" 'BEGIN{print n/c}')
idle; bytes[tlspp]=$bytes_per_idle; row "tlspp --threads 1" full "$bytes_per_idle"; stop_server
total_failed=$((failed + idle_failed))

say "tlspp, full handshakes, 2 threads"
start_tlspp 2 0; load; rps2=$rps; eff2=$(awk -v n="$ok" -v c="$cpu_s" 'BEGIN{print n/c}')
row "tlspp --threads 2" full -; stop_server
total_failed=$((total_failed + failed))

say "nginx, full handshakes"
start_nginx 0; load; cpu[nginx]=$us_per_conn
idle; bytes[nginx]=$bytes_per_idle; row "nginx 1.22 (1 worker)" full "$bytes_per_idle"; stop_server
total_failed=$((total_failed + failed + idle_failed))

say "openssl s_server, full handshakes"
start_s_server 0; load; cpu[s_server]=$us_per_conn; row "openssl s_server" full "n/a"; stop_server
total_failed=$((total_failed + failed))

# That h2load resumes: tlspp's log says so for each connection (without --quiet, so not in
# the measured run).
say "tlspp, resumed: does h2load resume?"
tlspp_flags=()
start_tlspp 1 2
tlspp_flags=(--quiet)
h2load --h1 -n 200 -c 4 "https://127.0.0.1:$port/" >/dev/null 2>&1 || true
stop_server
resumed_by_h2load=$(grep -c 'resumed=yes' "$tmp/tlspp.log" || true)

say "tlspp, resumed"
start_tlspp 1 2; load; r=$(resumes); row "tlspp --threads 1" "resumed ($r)" -; stop_server
total_failed=$((total_failed + failed))
say "nginx, resumed"
start_nginx 1; load; r=$(resumes); row "nginx 1.22 (1 worker)" "resumed ($r)" -; stop_server
total_failed=$((total_failed + failed))
say "openssl s_server, resumed"
start_s_server 1; load; r=$(resumes); row "openssl s_server" "resumed ($r)" -; stop_server
total_failed=$((total_failed + failed))

met() { awk -v a="$1" -v b="$2" 'BEGIN { print ((a <= b) ? "met" : "not met") }'; }
# Ratios unrounded, for comparing with the targets; shown to three places.
ratio() { awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN { print ((b > 0) ? k * a / b : 0) }'; }
shown() { awk -v r="$1" 'BEGIN { printf "%.3f", r }'; }
cpu_ratio=$(ratio "${cpu[tlspp]}" "${cpu[nginx]}")
mem_ratio=$(ratio "${bytes[tlspp]}" "${bytes[nginx]}")
raw_scaling=$(ratio "$rps2" "$rps1")
cpu_scaling=$(ratio "$eff2" "$eff1" 2)

echo "Server benchmark ($(date -u +%Y-%m-%d), $(nproc) CPUs, h2load --h1 -n $N -c $C, one connection per request," \
  "$IDLE idle connections)"
echo
echo "| server | handshakes | connections | server CPU µs/conn | req/s | failed | bytes/idle conn |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "- server CPU per new connection, tlspp/nginx: $(shown "$cpu_ratio")x (target ≤ 0.67x: $(met "$cpu_ratio" 0.67))"
echo "- bytes per idle connection, tlspp/nginx: $(shown "$mem_ratio")x (target ≤ 0.25x: $(met "$mem_ratio" 0.25))"
echo "- failures: $total_failed (target 0: $( ((total_failed == 0)) && echo met || echo not met))"
echo "- tlspp --threads 2 / --threads 1: raw req/s ratio $(shown "$raw_scaling")x; CPU-normalised (2 x connections per" \
  "server CPU-second at 2 threads / at 1) $(shown "$cpu_scaling")x (target ≥ 1.9: $(met 1.9 "$cpu_scaling") for the" \
  "CPU-normalised ratio, $(met 1.9 "$raw_scaling") for the raw one)"
echo "- resumed runs: (yes) when openssl s_client -sess_out/-sess_in saw the server resume; h2load resumes" \
  "each client's session on its next connection: of 200 connections (4 clients) to tlspp, $resumed_by_h2load" \
  "were resumed=yes in its log"
