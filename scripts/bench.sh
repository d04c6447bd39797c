#!/usr/bin/env bash
# Speed benchmark (issue 2 item 12): `hagen render` of the largest example, as a whole process
# (start-up, load, validate, render, HCL self-check, write), against `cp -r` of that same output
# folder, the floor for "put these files on disk". Target: render <= ~3x cp -r.
#
# Usage: scripts/bench.sh [--runs N]     builds the release binary once (or uses $HAGEN_BIN), prints the figures and
#        writes them to docs/bench.md. Uses hyperfine when installed (apt-get install hyperfine),
#        otherwise (or with BENCH_NO_HYPERFINE=1) a plain loop timed with `date +%s%N`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=100
[ "${1:-}" = "--runs" ] && RUNS=$2
OUT_MD="$ROOT/docs/bench.md"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cd "$ROOT"
if [ -n "${HAGEN_BIN:-}" ]; then
  HAGEN=$HAGEN_BIN   # e.g. a release binary built earlier: skips the (slow on 2 cores) build
else
  echo "==> cargo build --release"
  cargo build --release --quiet
  HAGEN="$ROOT/target/release/hagen"
fi

# The largest example is the one whose rendered module has the most bytes.
LARGEST="" LARGEST_BYTES=0
for spec in examples/*.yaml; do
  dir="$TMP/probe-$(basename "$spec" .yaml)"
  "$HAGEN" render "$spec" -o "$dir" --quiet >/dev/null
  bytes=$(find "$dir" -type f -exec cat {} + | wc -c)
  if [ "$bytes" -gt "$LARGEST_BYTES" ]; then LARGEST=$spec LARGEST_BYTES=$bytes; fi
done
REFERENCE="$TMP/probe-$(basename "$LARGEST" .yaml)"   # its output: what cp -r copies
FILES=$(find "$REFERENCE" -type f | wc -l)
echo "==> largest example: $LARGEST ($FILES files, $LARGEST_BYTES bytes rendered)"

# How render time grows with the spec: 6 zones, 20 buckets and 20 DynamoDB tables (the
# most the schema allows; the issue asked for 30 tables).
BIG="$TMP/big.yaml"
{
  echo "name: big"
  echo "region: us-east-1"
  echo "network:"
  echo "  cidr: 10.0.0.0/16"
  echo "  availability_zones: [us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f]"
  echo "database:"
  echo "  kind: dynamodb"
  echo "  tables:"
  for n in $(seq 1 20); do
    echo "    - name: table$n"
    echo "      partition_key: { name: id, type: S }"
  done
  echo "storage:"
  echo "  buckets:"
  for n in $(seq 1 20); do echo "    - name: bucket$n"; done
} >"$BIG"
"$HAGEN" validate "$BIG" >/dev/null

# The same output without render's record of its inputs (.hagen/inputs, not committed), as
# in a fresh clone: check renders in full there.
NO_RECORD="$TMP/no-record"
cp -r "$REFERENCE" "$NO_RECORD"
rm -f "$NO_RECORD/.hagen/inputs"

RENDER_FRESH="$HAGEN render $LARGEST -o $TMP/fresh --quiet"
CHECK="$HAGEN check $LARGEST -o $REFERENCE --quiet"
CHECK_FULL="$HAGEN check $LARGEST -o $NO_RECORD --quiet"
RENDER_BIG="$HAGEN render $BIG -o $TMP/big --quiet"
RENDER_AGAIN="$HAGEN render $LARGEST -o $REFERENCE --quiet"
COPY="cp -r $REFERENCE $TMP/copy"
VALIDATE="$HAGEN validate $LARGEST"
VERSION="$HAGEN --version"
# `sync` too: a render flushes the file system (`syncfs`, for crash safety), which would
# otherwise also write out what the benchmark itself left dirty (the last `cp -r`'s files,
# the deletions just made), a cost of the benchmark and not of hagen. Untimed, for every
# command alike.
CLEAN="sh -c 'rm -rf $TMP/fresh $TMP/copy $TMP/big && sync'"

# name|command; each timed run starts from an absent target folder (except the re-render, whose
# point is an up-to-date folder that hagen leaves untouched).
CASES=("hagen render into a new folder|$RENDER_FRESH" "hagen render, output already up to date|$RENDER_AGAIN"
       "cp -r of the output folder|$COPY" "hagen check, output up to date|$CHECK"
       "hagen render of a large spec (6 zones, 20 buckets, 20 tables) into a new folder|$RENDER_BIG"
       "hagen check, output up to date, no record of the render (a fresh clone)|$CHECK_FULL"
       "hagen validate (load, schema and semantic rules only)|$VALIDATE"
       "hagen --version (process start and exit only)|$VERSION")

declare -a NAMES MEANS SDS MINS CPUS
if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
  TOOL="hyperfine $(hyperfine --version | awk '{print $2}'), $RUNS runs after 10 warm-ups, no shell"
  cmds=()
  for c in "${CASES[@]}"; do cmds+=("${c#*|}"); done
  hyperfine -N --warmup 10 --runs "$RUNS" --prepare "$CLEAN" --export-json "$TMP/h.json" "${cmds[@]}"
  i=0
  while IFS=' ' read -r mean sd min cpu; do
    NAMES[i]=${CASES[i]%%|*} MEANS[i]=$mean SDS[i]=$sd MINS[i]=$min CPUS[i]=$cpu
    i=$((i + 1))
  done < <(python3 - "$TMP/h.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    figures = [r["mean"], r["stddev"], r["min"], r["user"] + r["system"]]
    print(" ".join(f"{seconds * 1000:.2f}" for seconds in figures))
PY
)
else
  TOOL="shell loop timed with date +%s%N, $RUNS runs after 10 warm-ups (hyperfine not installed)"
  i=0
  for c in "${CASES[@]}"; do
    cmd=${c#*|}
    samples=()
    for n in $(seq 1 $((RUNS + 10))); do
      eval "$CLEAN"
      t0=$(date +%s%N); $cmd >/dev/null; t1=$(date +%s%N)
      [ "$n" -gt 10 ] && samples+=($((t1 - t0)))
    done
    read -r mean sd min < <(printf '%s\n' "${samples[@]}" | awk '
      { s += $1; ss += $1 * $1; if (NR == 1 || $1 < m) m = $1 }
      END { mu = s / NR; v = ss / NR - mu * mu; if (v < 0) v = 0;
            printf "%.2f %.2f %.2f\n", mu / 1e6, sqrt(v) / 1e6, m / 1e6 }')
    NAMES[i]=${c%%|*} MEANS[i]=$mean SDS[i]=$sd MINS[i]=$min CPUS[i]="n/a"
    i=$((i + 1))
  done
fi

# The goal's ratio again, with the drift of a shared machine evened out: `cp -r` swings
# between 2.5 and 6 ms from one minute to the next, so the table's two rows, timed minutes
# apart, can say 2x or 4x of the same build. Here the two commands take turns in
# alternating rounds, and each round gives one ratio.
ROUND_RATIOS=""
if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
  ROUNDS=5
  for round in $(seq 1 $ROUNDS); do
    hyperfine -N --warmup 3 --runs $(((RUNS + ROUNDS - 1) / ROUNDS)) --prepare "$CLEAN" \
      --export-json "$TMP/round$round.json" "$RENDER_FRESH" "$COPY" >/dev/null
    ROUND_RATIOS+=" $(python3 - "$TMP/round$round.json" <<'PY'
import json, sys
render, copy = json.load(open(sys.argv[1]))["results"]
print(f"{render['mean'] / copy['mean']:.1f}")
PY
)"
  done
  ROUND_MEDIAN=$(printf '%s\n' $ROUND_RATIOS | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
fi

# Notes written by hand below this marker (e.g. a profile) survive a re-run.
MARKER='<!-- notes below this line are kept by scripts/bench.sh -->'
NOTES=""
if [ -f "$OUT_MD" ] && grep -qF "$MARKER" "$OUT_MD"; then
  NOTES=$(awk -v marker="$MARKER" 'index($0, marker) { keep = 1 } keep' "$OUT_MD")
fi

RATIO=$(awk -v a="${MEANS[0]}" -v b="${MEANS[2]}" 'BEGIN { printf "%.1f", a / b }')
CHECK_RATIO=$(awk -v a="${MEANS[3]}" -v b="${MEANS[2]}" 'BEGIN { printf "%.1f", a / b }')
CHECK_RATIO_MIN=$(awk -v a="${MINS[3]}" -v b="${MINS[2]}" 'BEGIN { printf "%.1f", a / b }')
FULL_RATIO=$(awk -v a="${MEANS[5]}" -v b="${MEANS[2]}" 'BEGIN { printf "%.1f", a / b }')
RATIO_MIN=$(awk -v a="${MINS[0]}" -v b="${MINS[2]}" 'BEGIN { printf "%.1f", a / b }')
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
  echo "# Render speed"
  echo
  echo "Generated by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $CPU; commit"
  echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)."
  echo "Binary: ${HAGEN_BIN:+\$HAGEN_BIN = }$HAGEN. Timed with $TOOL."
  echo "On a busy machine the means and spreads grow; compare the min and CPU columns."
  echo
  echo "Workload: \`hagen render $LARGEST\` (the largest example: $FILES files, $LARGEST_BYTES bytes),"
  echo "a whole process per run (start-up, YAML load, schema and semantic validation, model, render,"
  echo "HCL parse of every file, atomic write), against \`cp -r\` of the same output folder."
  echo
  echo "| command | mean (ms) | ± sd (ms) | min (ms) | CPU user+sys, mean (ms) |"
  echo "|---|---:|---:|---:|---:|"
  for j in "${!NAMES[@]}"; do echo "| ${NAMES[j]} | ${MEANS[j]} | ${SDS[j]} | ${MINS[j]} | ${CPUS[j]} |"; done
  echo
  if [ -n "$ROUND_RATIOS" ]; then
    echo "Side by side, taking turns with \`cp -r\` in $ROUNDS rounds of $(((RUNS + ROUNDS - 1) / ROUNDS)) runs each, a fresh render"
    echo "costs **${ROUND_MEDIAN}x** a \`cp -r\` of its own output (median of the rounds; each round:${ROUND_RATIOS}; goal: 3x or less)."
    echo "In the table, where all runs of one command come before those of the next,"
    echo "it costs ${RATIO}x by mean and ${RATIO_MIN}x by min."
  else
    echo "A fresh render costs **${RATIO}x** a \`cp -r\` of its own output by mean, ${RATIO_MIN}x by min (goal: 3x or less)."
  fi
  echo "\`hagen check\` costs **${CHECK_RATIO}x** by mean, ${CHECK_RATIO_MIN}x by min (goal: 2x or less),"
  echo "and ${FULL_RATIO}x by mean where it must render in full (no record of the render: a fresh clone, or any change)."
  echo "Python template renderers take 80-440 ms for a module of comparable size."
  echo
  echo "Run it yourself: \`scripts/bench.sh\` (\`--runs N\` to change the sample size; installs nothing,"
  echo "uses hyperfine when present, else a shell loop)."
  if [ -n "$NOTES" ]; then echo; echo "$NOTES"; fi
} >"$OUT_MD"

echo
cat "$OUT_MD"
