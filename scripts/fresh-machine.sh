#!/usr/bin/env bash
# fresh-machine.sh [ROOT_DIR]
# Release check: runs `make test` as root in a freshly bootstrapped Debian 12 root, so a
# package, model or file that only the development machine happens to have shows up here and
# not on a user's machine. Phases, each timed: debootstrap (minbase bookworm from the Debian
# mirror this machine uses), setup (`make setup`: the apt list, models, pgvector, npm tools),
# build (`make build`: configure, the apt closure check, compile), tests (`make test`).
# ROOT_DIR: an empty or new folder outside the repository (default: a new one under
# /var/tmp); it is removed afterwards unless FRESH_KEEP=1. The repository goes in as
# `git archive HEAD` (committed files only) at /work/faceid, the shared test photos at
# /work/shared/testdata (tests look in ../shared/testdata). Needs root; takes 30-60 minutes
# on 2 cores. Exits with the status of the first make that fails.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
TESTDATA=${FACEID_TESTDATA:-$REPO/../shared/testdata}
SUITE=bookworm
log() { printf '[fresh-machine] %s\n' "$*"; }
die() { log "$*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount, chroot)"
[ -d "$TESTDATA" ] || die "no test photos at $TESTDATA (set FACEID_TESTDATA)"
TESTDATA=$(cd "$TESTDATA" && pwd)

if [ -n "${1:-}" ]; then
  mkdir -p "$1"
  target=$(cd "$1" && pwd)
  [ -z "$(ls -A "$target")" ] || die "$target is not empty"
else
  target=$(mktemp -d /var/tmp/faceid-fresh.XXXXXX)
fi
case "$target/" in "$REPO"/*) die "$target is inside the repository" ;; esac
[ "$target" != / ] || die "refusing /"

# The mirror the machine already uses (as scripts/setup.sh finds it), and its security twin.
mirror=$( { grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
  grep -hE '^\s*deb\s' /etc/apt/sources.list 2>/dev/null | grep -oE 'https?://[^ ]+'; } |
  grep -E '/debian/?$' | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=$( { grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
  grep -hE '^\s*deb\s' /etc/apt/sources.list 2>/dev/null | grep -oE 'https?://[^ ]+'; } |
  grep -E '/debian-security/?$' | head -1 || true)
security=${security:-http://security.debian.org/debian-security}
security=${security%/}

mounts=()
cleanup() {
  local status=$? i pid
  # Anything still running inside the root was started by this check (a test's server).
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$target" ] || continue
    log "stopping leftover process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
    kill "$pid" 2>/dev/null || true
  done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -R "${mounts[i]}" 2>/dev/null || umount -R -l "${mounts[i]}" || true
  done
  if grep -qF " $target/" /proc/mounts; then
    log "something is still mounted under $target: left in place"
  elif [ "${FRESH_KEEP:-0}" = 1 ]; then
    log "root kept at $target"
  else
    rm -rf --one-file-system "$target"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

times=()
# phase NAME COMMAND...: runs COMMAND, prints and records its elapsed time.
phase() {
  local name=$1 start status=0
  shift
  log "== $name"
  start=$(date +%s)
  "$@" || status=$?
  times+=("$name $(($(date +%s) - start)) s (exit $status)")
  log "== $name: $(($(date +%s) - start)) s, exit $status"
  return "$status"
}
summary() {
  log "phase times:"
  printf '  %s\n' "${times[@]}"
}

bootstrap() {
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
  fi
  # make is what a user installs to type `make test`; everything else must come from set-up.
  debootstrap --variant=minbase --include=make "$SUITE" "$target" "$mirror"
  # What a Debian 12 installation's apt sources hold: the release, its updates, security.
  cat >"$target/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb $security $SUITE-security main
EOF
  cp /etc/resolv.conf "$target/etc/resolv.conf"
  # Certificate authorities this machine added locally (a network that intercepts TLS needs
  # them): a fresh machine on the same network gets them too. The ca-certificates package,
  # installed by set-up, adds them to the system store.
  mkdir -p "$target/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$target/usr/local/share/ca-certificates/" 2>/dev/null || true
  # Package scripts must not start daemons (PostgreSQL, Redis) outside our control: the
  # tests start their own. Debian's container images do the same.
  printf '#!/bin/sh\nexit 101\n' >"$target/usr/sbin/policy-rc.d"
  chmod +x "$target/usr/sbin/policy-rc.d"
}

mount_all() {
  mount -t proc proc "$target/proc"
  mounts+=("$target/proc")
  mount --rbind /sys "$target/sys"
  mounts+=("$target/sys")
  mount --make-rslave "$target/sys"
  # /dev with /dev/pts and /dev/shm (Chromium and PostgreSQL use shared memory); rslave so
  # unmounting our copies never reaches the host's.
  mount --rbind /dev "$target/dev"
  mounts+=("$target/dev")
  mount --make-rslave "$target/dev"
}

copy_sources() {
  mkdir -p "$target/work/faceid" "$target/work/shared"
  git -C "$REPO" archive --format=tar HEAD | tar -x -C "$target/work/faceid"
  cp -a "$TESTDATA" "$target/work/shared/testdata"
  log "copied $(git -C "$REPO" rev-parse --short HEAD) and $(du -sh "$TESTDATA" | cut -f1) of test photos"
}

# in_root COMMAND: runs a shell command as root in the fresh root with a clean environment.
in_root() {
  chroot "$target" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /work/faceid && $1"
}

log "root: $target; mirror: $mirror; repository: $REPO"
status=0
phase debootstrap bootstrap || status=$?
if [ "$status" = 0 ]; then
  mount_all
  copy_sources
  phase setup in_root "make setup" || status=$?
fi
[ "$status" != 0 ] || phase build in_root "make build" || status=$?
[ "$status" != 0 ] || phase tests in_root "make test" || status=$?
summary
if [ "$status" = 0 ]; then log "PASSED: make test on a fresh Debian 12 root"; else log "FAILED (exit $status)"; fi
exit "$status"
