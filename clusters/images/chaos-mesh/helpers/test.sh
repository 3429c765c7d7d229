#!/usr/bin/env bash
# test.sh NSEXEC PAUSE — exercise the built nsexec and pause against their contracts (see the
# comments at the top of nsexec.c and pause.c). Needs root (entering namespaces needs
# CAP_SYS_ADMIN) and util-linux's unshare. Prints one line per check; exits 1 if any failed.
set -uo pipefail

nsexec=${1:?usage: test.sh NSEXEC PAUSE}
pause=${2:?usage: test.sh NSEXEC PAUSE}
[[ $(id -u) == 0 ]] || { echo "test.sh: entering namespaces needs root; run as root" >&2; exit 1; }

passed=0 failed=0 holders=() holder=
check() { # check NAME CONDITION-RESULT DETAIL
  if [[ $2 == 0 ]]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}
# The holder is init of its pid namespace: only SIGKILL reaches it from outside, and unshare
# itself ignores SIGTERM while it waits for it.
cleanup() {
  [[ -n ${holder:-} ]] && kill -KILL "$holder" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT

# A process in fresh net + pid namespaces to enter. unshare -f forks, so the namespace holder is
# the sleep, a child of the unshare process; find it.
unshare --net --pid --fork --mount-proc sleep 300 2>/dev/null &
holders+=($!)
for _ in $(seq 50); do
  holder=$(pgrep -P "${holders[0]}" -x sleep) && break
  sleep 0.1
done
[[ -n $holder ]] || { echo "test.sh: could not start a namespace holder with unshare" >&2; exit 1; }

# net: only the loopback device exists inside the new network namespace.
devices=$("$nsexec" -n "/proc/$holder/ns/net" -- sh -c 'tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d " "')
check "net namespace entered (devices: ${devices//$'\n'/ })" "$([[ $devices == lo ]]; echo $?)" "expected only lo"

# pid: the child is a member of the holder's pid namespace (sleep is 1 there, so the child is not).
child_pid=$("$nsexec" -p "/proc/$holder/ns/pid" -- sh -c 'echo $$')
check "pid namespace entered (child pid $child_pid)" "$([[ $child_pid =~ ^[0-9]+$ && $child_pid -lt 100 ]]; echo $?)" \
  "expected a small pid inside the new namespace"

# Exit status of the command is ours.
"$nsexec" -n "/proc/$holder/ns/net" -- sh -c 'exit 7'
check "exit status passed through" "$([[ $? == 7 ]]; echo $?)" "expected 7"
"$nsexec" -n "/proc/$holder/ns/net" -- /nonexistent/command 2>/dev/null
check "missing command exits 127" "$([[ $? == 127 ]]; echo $?)" "expected 127"

# SIGTERM to nsexec reaches the command, whose exit status comes back.
"$nsexec" -n "/proc/$holder/ns/net" -- sh -c 'trap "exit 42" TERM; while :; do sleep 0.05; done' &
runner=$!
sleep 0.5
kill -TERM "$runner"
wait "$runner"
check "SIGTERM forwarded to the command" "$([[ $? == 42 ]]; echo $?)" "expected the command's trap exit 42"

# Refusals name the problem.
message=$("$nsexec" -l -m "/proc/$holder/ns/mnt" -- true 2>&1)
status=$?
check "-l refused" "$([[ $status == 2 && $message == *"-l"*"not supported"* ]]; echo $?)" "status $status, message: $message"
message=$("$nsexec" -x /proc/self/ns/net -- true 2>&1)
status=$?
check "unknown flag refused" "$([[ $status == 2 && $message == *"unknown option '-x'"* ]]; echo $?)" "status $status, message: $message"
message=$("$nsexec" -n /proc/999999999/ns/net -- true 2>&1)
status=$?
check "bad namespace path refused" "$([[ $status == 1 && $message == *"/proc/999999999/ns/net"* ]]; echo $?)" "status $status, message: $message"

# pause: waits (comm stays "pause") until SIGCONT, then execs the command in place.
out=$(mktemp)
"$pause" sh -c 'echo resumed' >"$out" &
paused=$!
sleep 0.3
comm=$(cat "/proc/$paused/comm")
check "pause waits before SIGCONT (comm $comm)" "$([[ $comm == pause && ! -s $out ]]; echo $?)" "comm '$comm', output '$(cat "$out")'"
kill -CONT "$paused"
wait "$paused"
status=$?
check "pause execs the command after SIGCONT" "$([[ $status == 0 && $(cat "$out") == resumed ]]; echo $?)" \
  "status $status, output '$(cat "$out")'"
rm -f "$out"
"$pause" 2>/dev/null
check "pause without a command exits 2" "$([[ $? == 2 ]]; echo $?)" "expected 2"

echo "$passed passed, $failed failed"
((failed == 0))
