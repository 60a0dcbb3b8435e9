#!/bin/sh
# Code size and RAM of the FleetFlags C library (BENCHMARKS.md, clients/README.md):
#   clients/c/tools/size.sh [build folder]
# - size(1) of the library's objects compiled with -Os for this machine (text/data/bss), and of
#   the nanopb objects it links (decoder for updates, encoder for acks; as installed: Debian's
#   libprotobuf-nanopb.a);
# - the stack each of its functions takes (-fstack-usage), the largest first;
# - sizeof(ff_flag), the RAM per flag, and sizeof(ff_state) for a few limits.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${TMPDIR:-/tmp}/fleetflags-size}
cc=${CC:-cc}
mkdir -p "$out"
cd "$here"

echo "== library, $cc -std=c99 -Os ($(uname -m))"
for f in src/fleetflags.c src/murmur3.c generated/fleetflags/v1/flag_update.pb.c generated/fleetflags/v1/flag_ack.pb.c; do
  $cc -std=c99 -Os -fstack-usage -Iinclude -Igenerated -Isrc -c "$f" -o "$out/$(basename "$f" .c).o"
done
size -t "$out/fleetflags.o" "$out/murmur3.o" "$out/flag_update.pb.o" "$out/flag_ack.pb.o"

nanopb=$(find /usr/lib /usr/local/lib -name libprotobuf-nanopb.a 2>/dev/null | head -n 1)
if [ -n "$nanopb" ]; then
  echo "== nanopb as installed ($nanopb), the members the library uses"
  (cd "$out" && ar x "$nanopb" pb_decode.c.o pb_encode.c.o pb_common.c.o)
  size -t "$out/pb_decode.c.o" "$out/pb_encode.c.o" "$out/pb_common.c.o"
  echo "nanopb symbols the library needs:"
  nm -u "$out/fleetflags.o" "$out/flag_update.pb.o" "$out/flag_ack.pb.o" | awk '/ pb_/ {print "  " $2}' | sort -u
fi

echo "== stack per function (bytes), largest first"
cat "$out"/*.su | sort -t '	' -k2 -n -r | head -n 8

echo "== RAM: sizeof per flag (ff_flag) and per device (ff_state), by limits"
cat > "$out/sizes.c" <<'C'
#include <stdio.h>
#include "fleetflags.h"
int main(void) {
  printf("FF_MAX_KEY_LEN=%-3d FF_MAX_VALUE_LEN=%-4d ff_flag %zu B, ff_state %zu B, FF_SAVE_SIZE(1) %zu B\n",
         FF_MAX_KEY_LEN, FF_MAX_VALUE_LEN, sizeof(ff_flag), sizeof(ff_state), FF_SAVE_SIZE(1));
  return 0;
}
C
for limits in "16 16" "32 64" "64 256"; do
  set -- $limits
  $cc -std=c99 -Iinclude -DFF_MAX_KEY_LEN="$1" -DFF_MAX_VALUE_LEN="$2" "$out/sizes.c" -o "$out/sizes"
  "$out/sizes"
done
