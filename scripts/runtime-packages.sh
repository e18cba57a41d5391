#!/usr/bin/env bash
# Prints the Debian packages holding the shared libraries BINARY needs directly, one a line.
# The Docker builder runs it so the runtime image installs exactly these (and what apt pulls
# in for them), whatever libraries the build links today. Fails when a library has no package.
set -euo pipefail
bin=${1:?usage: runtime-packages.sh BINARY}
status=0
found=()
while read -r soname path; do
  real=$(readlink -f "$path")
  pkg=""
  # Merged /usr: dpkg may know the file under /lib or /usr/lib, under the link or its target.
  for p in "$real" "${real#/usr}" "/usr$real" "$path" "${path#/usr}" "/usr$path"; do
    pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  if [ -z "$pkg" ]; then echo "no package for $soname ($path)" >&2; status=1; continue; fi
  found+=("$pkg")
done < <(ldd "$bin" | awk -v want="$(objdump -p "$bin" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')" '
  BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) needed[w[i]] = 1 }
  $2 == "=>" && ($1 in needed) { print $1, $3 }')
printf '%s\n' "${found[@]}" | sort -u
exit $status
