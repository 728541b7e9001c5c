#!/bin/sh
# runtime-packages.sh BINARY...: prints the Debian packages that hold the
# shared libraries BINARY... load (per ldd), one a line, sorted. Used by the
# Dockerfile's build stage so the runtime stage installs exactly those.
# Exits non-zero if ldd reports a library "not found" or a library belongs to
# no package.
set -eu
for bin in "$@"; do [ -f "$bin" ] || { echo "runtime-packages: no file $bin" >&2; exit 1; }; done
libs=$(ldd "$@" | awk '/=>/ { print $3 } /^\t\/.*\(0x/ { print $1 }' | sort -u)
if ldd "$@" | grep -q 'not found'; then
  ldd "$@" | grep 'not found' >&2
  exit 1
fi
for lib in $libs; do
  real=$(readlink -f "$lib")
  # Debian 12 is usr-merged: ldd may name /lib/... while dpkg knows /usr/lib/...
  pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null ||
        dpkg -S "/usr$real" 2>/dev/null) || { echo "runtime-packages: no package holds $lib" >&2; exit 1; }
  echo "$pkg" | head -1 | cut -d: -f1
done | sort -u
