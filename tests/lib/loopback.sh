# Shared by tests/interop/run.sh and tests/keylog/run.sh (sourced, not run).
#
# loopback_netns NAME SCRIPT ARGS...: re-executes SCRIPT in a new network namespace that
#   holds only a loopback interface (root: `unshare --net`; others get a user namespace
#   too), so that servers listening on every address are reachable on 127.0.0.1 alone and
#   no test traffic can leave the machine. Inside, refuses to go on if any other interface
#   exists (the marker variable could have been inherited).
# loopback_workdir NAME KEEP_VARIABLE: makes $work, the `live` map of background PIDs, and
#   an exit trap that stops each of those PIDs and removes $work (kept when KEEP_VARIABLE
#   is set).

loopback_netns() {
  local name=$1 script=$2
  shift 2
  local marker="TLSPP_${name^^}_NETNS"
  if [ "${!marker:-}" != 1 ]; then
    local ns
    if [ "$(id -u)" -eq 0 ]; then ns=(unshare --net); else ns=(unshare --user --map-root-user --net); fi
    # shellcheck disable=SC2016  # $0 and $@ are for the inner bash
    exec "${ns[@]}" -- env "$marker=1" bash -c 'ip link set lo up && exec bash "$0" "$@"' "$script" "$@"
  fi
  local links
  links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
  if [ "$links" != "lo " ]; then
    echo "$name: expected a network namespace with only 'lo', found: $links" >&2
    exit 2
  fi
}

loopback_workdir() {
  loopback_name=$1
  loopback_keep=$2
  work=$(mktemp -d "${TMPDIR:-/tmp}/tlspp-$1.XXXXXX")
  declare -gA live=()
  trap loopback_cleanup EXIT
  trap 'exit 130' INT TERM HUP
}

loopback_cleanup() {
  local p
  for p in "${!live[@]}"; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ -n "${!loopback_keep:-}" ]; then
    echo "$loopback_name: files kept in $work"
  else
    rm -rf "$work"
  fi
}
