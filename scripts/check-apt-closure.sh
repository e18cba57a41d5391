#!/usr/bin/env bash
# check-apt-closure.sh [BUILD_DIR] [APT_LIST]
# Fails when the last CMake configure in BUILD_DIR used a Debian package that a fresh machine
# would not get from APT_LIST (the list's packages, what they depend on without recommends,
# and the base system every Debian root has). A build that passes only because this machine
# happened to have a package (libopencv-dev once) then stops here, naming package and file,
# instead of on the next fresh machine. `make build`, `make run` and `make test` run it right
# after configure.
# Checked: package config files (*_DIR entries), pkg-config libraries, found libraries and
# executables, and the compiler and build tools in CMakeCache.txt.
# Exit 0: every package comes with the list; 1: some do not (listed); 2: cannot check.
# The list's dependency closure is cached under .cache/apt-closure/ keyed on the list's
# content and the apt package index, so repeated runs take well under a second.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
LIST=${2:-$ROOT/deps/apt-packages.txt}
CACHE_DIR=${APT_CLOSURE_CACHE:-$ROOT/.cache/apt-closure}
me=check-apt-closure

cmake_cache="$BUILD/CMakeCache.txt"
[ -f "$cmake_cache" ] || { echo "$me: no $cmake_cache (configure first)" >&2; exit 2; }
[ -f "$LIST" ] || { echo "$me: no apt list $LIST" >&2; exit 2; }
for tool in dpkg-query apt-cache sha256sum; do
  command -v "$tool" >/dev/null || { echo "$me: $tool missing (not a Debian machine?)" >&2; exit 2; }
done
build_abs=$(cd "$BUILD" && pwd)

# Prints "KEY<TAB>FILE" for every file the configure resolved outside the source and build
# trees. Optional tools CTest probes for (valgrind, gcov, git: *_COMMAND) are not needs.
resolved_files() {
  local key type path name f
  while IFS= read -r line; do
    key=${line%%:*}
    type=${line#*:}
    type=${type%%=*}
    path=${line#*=}
    case "$path" in "$ROOT"/* | "$build_abs"/* | *-NOTFOUND | '') continue ;; esac
    case "$type:$key" in
      PATH:*_DIR)
        # A package configuration directory counts through its <Name>Config.cmake file.
        name=${key%_DIR}
        for f in "$path/${name}Config.cmake" "$path/${name,,}-config.cmake"; do
          if [ -f "$f" ]; then printf '%s\t%s\n' "$key" "$f"; break; fi
        done ;;
      FILEPATH:pkgcfg_lib_* | FILEPATH:*_LIBRARY | FILEPATH:*_LIBRARY_RELEASE | \
        FILEPATH:*_LIBRARIES | FILEPATH:*_EXECUTABLE | FILEPATH:CMAKE_*)
        if [ -e "$path" ]; then printf '%s\t%s\n' "$key" "$path"; fi ;;
    esac
  done < <(grep -E '^[A-Za-z0-9_.+-]+:(PATH|FILEPATH)=/' "$cmake_cache")
}

# Prints "CANDIDATE<TAB>FILE" for the names dpkg may know a resolved file by: the file, the
# target its symlinks resolve to (both must come with the list: the -dev package owns
# libfoo.so, the runtime package its target), and their merged-/usr twins under /lib.
candidates() {
  local f target
  while IFS=$'\t' read -r _ f; do
    target=$(readlink -f "$f")
    printf '%s\t%s\n' "$f" "$f" "${f#/usr}" "$f" "$target" "$f" "${target#/usr}" "$f"
  done | sort -u
}

# Prints "PACKAGE<TAB>FILE<TAB>OWNED PATH" for every resolved file ("-" when no package owns
# it), with one dpkg-query call for all files (each call reads dpkg's whole file database).
owners() {
  local cands=$1
  # dpkg-query prints "pkg1, pkg2:arch: /path" per owned path and fails if any is unowned.
  # shellcheck disable=SC2046 # one path per word
  { dpkg-query -S $(cut -f1 <<<"$cands" | sort -u) 2>/dev/null || true; } | grep -v '^diversion' |
    awk -F': ' -v cands="$cands" '
      BEGIN { n = split(cands, lines, "\n")
              for (i = 1; i <= n; i++) { split(lines[i], c, "\t"); files[c[2]] = 1
                                         of[c[1]] = of[c[1]] SUBSEP c[2] } }
      { m = split($1, pkgs, ", "); k = split(of[$2], fs, SUBSEP)
        for (j = 2; j <= k; j++) { owned[fs[j]] = 1
          for (i = 1; i <= m; i++) { sub(/:.*/, "", pkgs[i]); print pkgs[i] "\t" fs[j] "\t" $2 } } }
      END { for (f in files) if (!(f in owned)) print "-\t" f }' | sort -u
}

# The packages a fresh machine gets: the list, its dependencies (without recommends; every
# alternative counts) and the priority-required/essential base that debootstrap installs.
closure() {
  local key file
  key=$( { cat "$LIST"; stat -c %Y /var/lib/apt/lists 2>/dev/null || true; } | sha256sum | cut -c1-16)
  file="$CACHE_DIR/$key.txt"
  if [ ! -s "$file" ]; then
    mkdir -p "$CACHE_DIR"
    # shellcheck disable=SC2046 # one package name per word
    { apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances $(grep -vE '^\s*(#|$)' "$LIST" | awk '{print $1}') |
        awk '/^[a-z0-9]/ {print $1} /Depends:/ {print $2}'
      dpkg-query -W -f='${Package}\t${Essential}\t${Priority}\n' |
        awk -F'\t' '$2 == "yes" || $3 == "required" {print $1}'
    } | sed 's/:.*//' | grep -v '^<' | sort -u >"$file.tmp"
    mv "$file.tmp" "$file"
  fi
  cat "$file"
}

files=$(resolved_files)
[ -n "$files" ] || { echo "$me: nothing resolved in $cmake_cache" >&2; exit 2; }
have=$(closure)
missing=$(owners "$(candidates <<<"$files")" | while IFS=$'\t' read -r pkg f owned; do
  key=$(awk -F'\t' -v f="$f" '$2 == f {print $1; exit}' <<<"$files")
  if [ "$pkg" = - ]; then
    printf '  %s: no Debian package owns it (%s)\n' "$f" "$key"
  elif ! grep -qxF "$pkg" <<<"$have"; then
    if [ "$owned" = "$f" ] || [ "$owned" = "${f#/usr}" ]; then owned=""; else owned=" -> $owned"; fi
    printf '  %s: owns %s%s (%s)\n' "$pkg" "$f" "$owned" "$key"
  fi
done | sort -u)

if [ -n "$missing" ]; then
  echo "$me: the configure in $BUILD used packages that ${LIST#"$ROOT"/} does not bring to a fresh machine:"
  printf '%s\n' "$missing"
  echo "Add the package to ${LIST#"$ROOT"/} (or stop the build from using it)."
  exit 1
fi
echo "$me: all $(wc -l <<<"$files") files the configure resolved come with ${LIST#"$ROOT"/}"
