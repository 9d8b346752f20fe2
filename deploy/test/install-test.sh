#!/usr/bin/env bash
# The release, tested on this machine (run by `mvn verify` after the jar is built; alone:
# `deploy/test/install-test.sh [JAR]`): builds the tarball and the .deb from JAR (default target/sluice.jar),
# checks the package's contents, then
#   - where systemd runs and we are root: installs the .deb, starts the service, sends a request, reloads
#     (systemctl reload), rotates the logs with logrotate (whose postrotate sends USR1), stops and purges;
#   - otherwise (no systemd here, as in CI containers): unpacks the tarball and does the same with its
#     launcher: start, request, reload (`sluice reload` and SIGHUP), logrotate + USR1, SIGTERM, exit 0.
# logrotate missing: the rotation is done by hand (mv + USR1) and the script says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
jar="${1:-target/sluice.jar}"

say() { echo "install-test: $*"; }
fail() { echo "install-test: FAILED: $*" >&2; [[ -n "${log:-}" && -f "$log" ]] && sed 's/^/  | /' "$log" >&2; exit 1; }

bin/dist --jar "$jar" >/dev/null
version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n 1)"
tarball="target/dist/sluice-$version-linux-x86_64.tar.gz"
deb="$(ls target/dist/sluice_*_amd64.deb)"
[[ -f "$tarball" ]] || fail "no tarball"

# The package holds what the docs say it holds.
if command -v dpkg-deb >/dev/null; then
  contents="$(dpkg-deb --contents "$deb")"
  for f in ./usr/bin/sluice ./usr/share/sluice/lib/sluice.jar ./etc/sluice/sluice.yaml \
           ./lib/systemd/system/sluice.service ./etc/logrotate.d/sluice ./usr/share/doc/sluice/copyright \
           ./usr/share/sluice/lib/native/libnetty_transport_native_io_uring42_x86_64.so \
           ./usr/share/sluice/lib/sluice-classes/.complete ./usr/share/sluice/lib/sluice-classes/io/sluice/cli/Main.class; do
    grep -q " $f" <<<"$contents" || fail "$deb lacks $f"
  done
  dpkg-deb --field "$deb" Package Version Depends | sed 's/^/install-test: deb: /'
else
  say "dpkg-deb missing: the .deb was not checked"
fi

# An HTTP/1.1 GET without curl: prints the whole response.
http_get() { # PORT PATH
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3
  cat <&3
  exec 3<&-
}
wait_for() { # SECONDS COMMAND...: polls until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [[ $SECONDS -lt $deadline ]] || return 1
    sleep 0.2
  done
}

if [[ "$(id -u)" = 0 && -d /run/systemd/system ]] && command -v systemctl >/dev/null && command -v dpkg >/dev/null; then
  say "systemd runs here: installing $deb"
  dpkg -i "$deb" >/dev/null
  trap 'systemctl stop sluice >/dev/null 2>&1 || true; dpkg --purge sluice >/dev/null 2>&1 || true' EXIT
  systemctl restart sluice
  wait_for 60 http_get 8080 / || fail "the service does not answer on :8080"
  http_get 8080 /first | grep -q "sluice is running" || fail "unexpected answer"
  grep -q /usr/share/sluice/lib/native/libnetty_transport_native_ "/proc/$(systemctl show -p MainPID --value sluice)/maps" \
    || fail "the native transport library was not loaded from /usr/share/sluice/lib/native"
  systemctl reload sluice || fail "systemctl reload"
  wait_for 10 grep -q '/first' /var/log/sluice/access.log || fail "no access log line"
  logrotate -f /etc/logrotate.d/sluice || fail "logrotate"
  http_get 8080 /second >/dev/null
  wait_for 10 grep -q '/second' /var/log/sluice/access.log || fail "no line in the new access log after USR1"
  systemctl stop sluice
  say "ok: installed, started, requested, reloaded, rotated, stopped (systemd)"
  exit 0
fi

say "no systemd running here (PID 1 is $(ps -p 1 -o comm= 2>/dev/null || echo unknown)): testing the unpacked tarball's launcher instead"
work="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
tar -C "$work" -xzf "$tarball"
home="$work/sluice-$version"
[[ -x "$home/bin/sluice" && -f "$home/lib/sluice.jar" && -f "$home/conf/sluice.yaml" && -f "$home/LICENSE" ]] \
  || fail "the tarball lacks bin/sluice, lib/sluice.jar, conf/sluice.yaml or LICENSE"
[[ ! -e "$home/pom.xml" && ! -e "$home/src" ]] || fail "the tarball carries sources"
ls "$home"/lib/native/libnetty_transport_native_*.so >/dev/null 2>&1 || fail "the tarball lacks lib/native"
[[ "$(cat "$home/lib/sluice-classes/.complete" 2>/dev/null)" == "$(stat -c '%s %Y' "$home/lib/sluice.jar")" ]] \
  || fail "the tarball lacks lib/sluice-classes (the jar unpacked, with a stamp naming the jar beside it)"
"$home/bin/sluice" check "$home/conf/sluice.yaml" >/dev/null || fail "conf/sluice.yaml does not check"
[[ "$("$home/bin/sluice" version)" == "sluice $version" ]] || fail "sluice version: $("$home/bin/sluice" version 2>&1)"

conf="$work/sluice.yaml"
cat >"$conf" <<YAML
listeners:
  - name: public
    address: 127.0.0.1:0
    routes:
      - respond: { status: 200, body: "first\n" }
admin: { address: "127.0.0.1:0" }
access_log: { format: json, path: $work/log/access.log }
YAML
log="$work/sluice.out"
"$home/bin/sluice" run "$conf" >"$log" 2>&1 &
pid=$!
wait_for 60 grep -q "sluice started" "$log" || fail "did not start"
port="$(sed -n 's/.*public http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)"
admin="$(sed -n 's/.*admin http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)"
http_get "$port" /one | grep -q "^first" || fail "unexpected answer"
# the classes come from the unpacked jar, whose index is not kept in the heap (bin/sluice)
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-cp $(readlink -f "$home")/lib/sluice-classes io.sluice.cli.Main" \
  || fail "not run from lib/sluice-classes: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
# the transport's native library comes from lib/native, not from a copy unpacked into /tmp
grep -q "$(readlink -f "$home")/lib/native/libnetty_transport_native_" "/proc/$pid/maps" \
  || fail "the native transport library was not loaded from lib/native: $(grep -o '/[^ ]*libnetty[^ ]*' "/proc/$pid/maps" | sort -u)"

sed -i 's/first/second/' "$conf"
"$home/bin/sluice" reload --admin "127.0.0.1:$admin" | grep -q "reloaded at" || fail "sluice reload"
http_get "$port" /two | grep -q "^second" || fail "the reload did not apply"
sed -i 's/second/third/' "$conf"
kill -HUP "$pid"
wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET / HTTP/1.0\r\n\r\n' >&3; grep -q '^third' <&3" \
  || fail "SIGHUP did not reload"
wait_for 10 grep -q '/two' "$work/log/access.log" || fail "no access log line"

if command -v logrotate >/dev/null; then
  cat >"$work/logrotate.conf" <<ROT
$work/log/*.log {
    rotate 3
    missingok
    notifempty
    postrotate
        kill -USR1 $pid
    endscript
}
ROT
  logrotate -f -s "$work/logrotate.state" "$work/logrotate.conf" || fail "logrotate"
  how="logrotate (postrotate: kill -USR1)"
else
  mv "$work/log/access.log" "$work/log/access.log.1"
  kill -USR1 "$pid"
  how="mv + kill -USR1 (logrotate is not installed)"
fi
[[ -f "$work/log/access.log.1" ]] || fail "nothing rotated"
wait_for 10 grep -q "access log: reopened" "$log" || fail "USR1 did not reopen the access log"
http_get "$port" /after-rotation >/dev/null
wait_for 10 grep -q '/after-rotation' "$work/log/access.log" || fail "no line in the new access log"
grep -q '/after-rotation' "$work/log/access.log.1" && fail "a line went to the rotated file"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[[ $status = 0 ]] || fail "exit status $status after SIGTERM"
say "ok: unpacked, started, requested, reloaded (sluice reload, SIGHUP), rotated with $how, stopped (exit 0)"
