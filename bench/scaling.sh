#!/bin/sh
# Measures how `attncheck run` and the torch peer scale with S and H: the table of docs/performance.md.
# usage: bench/scaling.sh BUILD_DIR [REPEAT]   (fixtures go to a temporary directory, removed at the end)
set -eu
build=${1:?usage: bench/scaling.sh BUILD_DIR [REPEAT]}
repeat=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| H | S | attncheck median s (min-max) | peer median s (min-max) | ratio | GMAC | GMAC/s | share of int8 peak | attncheck peak RSS MiB | peer peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for hs in 8x1500 8x750 8x375 4x1500 2x1500 1x1500; do
  h=${hs%x*}; s=${hs#*x}
  "$build/attncheck" fixture make --recipe realistic --seed 11 --heads "$h" --shape "${s}x64" --out "$work/f$hs" >/dev/null
  "$build/attncheck" bench --fixture "$work/f$hs" --repeat "$repeat" --out "$work/b$hs.json" >/dev/null
  /usr/bin/python3 - "$work/b$hs.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
a, p = j["attncheck"], j["peer"]
h, s, d = j["shape"]
print(f"| {h} | {s} | {a['median_s']:.3f} ({a['min_s']:.3f}-{a['max_s']:.3f}) | {p['median_s']:.2f} ({p['min_s']:.2f}-{p['max_s']:.2f}) "
      f"| {j['ratio']:.1f}x | {j['work_gmac']:.3f} | {j['attncheck_gmac_per_s']:.1f} | {100 * j['share_of_int8_peak']:.2f}% "
      f"| {a['peak_rss_mib']:.1f} | {p['peak_rss_mib']:.1f} |")
PY
done
