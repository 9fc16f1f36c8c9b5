#!/usr/bin/env bash
# Runs every benchmark (tests marked [Trait("Category", "Benchmark")]) and prints one table:
# figure, value, bound, ratio to the bound, pass/fail (info: reported beside a bound stated for
# another setup, e.g. the console on SQLite next to PostgreSQL's), size, and the machine it ran on.
#   scripts/benchmark.sh            full sizes, the ones the bounds are stated at (tens of minutes)
#   scripts/benchmark.sh --quick    the sizes CI runs (tests/run.sh runs it this way)
#   --no-build                      use the last Release build
#   --only NAME                     only benchmark classes whose name contains NAME
# Exits non-zero when a benchmark test fails or a row misses its bound.
# Needs what tests/run.sh installs (PostgreSQL server binaries, Chromium).
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scale=full
build=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) scale=quick ;;
    --no-build) build=0 ;;
    --only) shift; only="${1:?--only needs a name}" ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "Unknown option $1 (try --help)." >&2; exit 2 ;;
  esac
  shift
done

configuration="${CONFIGURATION:-Release}"
results="${BENCHMARK_RESULTS:-$root/artifacts/benchmark-results}"
figures="$root/artifacts/measurements/figures.tsv"
export BENCHMARK_SCALE="$scale"

if [ "$build" -eq 1 ]; then
  dotnet tool restore >/dev/null
  dotnet build IncidentIo.sln -c "$configuration" -nologo -clp:ErrorsOnly || { echo "Build failed." >&2; exit 1; }
fi

rm -f "$figures" "$results"/*.benchmarks.trx
mkdir -p "$results" "$(dirname "$figures")"
filter="Category=Benchmark"
[ -n "$only" ] && filter="$filter&FullyQualifiedName~$only"
status=0
started=$(date +%s)
for project in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  printf '\n== %s benchmarks (%s)\n' "$name" "$scale"
  dotnet test "$project" -c "$configuration" --no-build -nologo --filter "$filter" \
    --logger "trx;LogFileName=$name.benchmarks.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=1
done

cores="$(nproc 2>/dev/null || echo '?')"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
memory="$(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo 2>/dev/null)"
load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
printf '\n== Benchmark table (%s sizes, %s s)\n' "$scale" "$(( $(date +%s) - started ))"
echo "machine: ${cores} cores, ${cpu:-unknown CPU}, ${memory:-? GB}; load average at the end: ${load:-?}"
if [ ! -s "$figures" ]; then
  echo "No figures were recorded."
  exit 1
fi
{
  printf 'figure\tvalue\tunit\tbound\tratio\tresult\tsize\tscale\n'
  sort "$figures"
} | awk -F'\t' '
  { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > width[i]) width[i] = length($i) } if (NF > cols) cols = NF }
  END { for (r = 1; r <= NR; r++) { line = ""; for (i = 1; i <= cols; i++) line = line sprintf("%-" width[i] + 2 "s", cell[r, i]); sub(/ +$/, "", line); print line } }'

missed="$(grep -c $'\tFAIL\t' "$figures")"
info="$(grep -c $'\tinfo\t' "$figures")"
rows="$(wc -l < "$figures")"
echo "$rows figures, $missed over their bound, $info reported beside a bound stated for another setup (info)"
[ "$status" -eq 0 ] && [ "$missed" -eq 0 ]
