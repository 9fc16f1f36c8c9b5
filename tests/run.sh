#!/usr/bin/env bash
# Runs every test suite. On a fresh Debian machine (as root) it first installs what the tests
# need: PostgreSQL server binaries (each test process starts its own throwaway cluster),
# Chromium (end-to-end journeys) and npm (the Teams tab's script, installed at build).
# Ends with the line "N passed, N failed".
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results="$root/artifacts/test-results"
configuration="${CONFIGURATION:-Release}"

say() { printf '\n== %s\n' "$*"; }

install_missing() {
  local missing=()
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v runuser >/dev/null || missing+=(util-linux)
  # The Portal build installs the Teams tab's script from npm.
  command -v npm >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  say "Installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing ${missing[*]}: run as root, or install them (Debian packages) and re-run." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "Could not install ${missing[*]}." >&2
    exit 1
  }
  # The package starts a system cluster on 5432; the tests start their own, so it is not needed.
  command -v pg_ctlcluster >/dev/null && pg_ctlcluster --force "$(ls /usr/lib/postgresql | sort -n | tail -1)" main stop >/dev/null 2>&1 || true
}

install_missing

say "Building ($configuration)"
dotnet tool restore >/dev/null
if ! dotnet build IncidentIo.sln -c "$configuration" -nologo -clp:ErrorsOnly; then
  echo "Build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

rm -rf "$results" "$root/artifacts/measurements"
mkdir -p "$results"
status=0
for project in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  say "$name"
  dotnet test "$project" -c "$configuration" --no-build -nologo --filter "Category!=Benchmark" \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=1
done

# The benchmarks at the sizes CI affords, with their table. A figure over its bound on this shared
# machine is reported, not failed: the full sizes (scripts/benchmark.sh) are where bounds are judged.
say "Benchmarks"
BENCHMARK_RESULTS="$results" scripts/benchmark.sh --quick --no-build

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

expected="$(( 2 * $(ls tests/*.Tests/*.Tests.csproj | wc -l) ))"
reported="$(ls "$results"/*.trx 2>/dev/null | wc -l)"
if [ "$reported" -ne "$expected" ]; then
  echo "Only $reported of $expected test runs (each project, then its benchmarks) reported results."
  failed=$((failed + expected - reported))
  status=1
fi

if compgen -G "$root/artifacts/measurements/*.txt" >/dev/null; then
  say "Measurements"
  cat "$root"/artifacts/measurements/*.txt
fi

# The failures last, next to the summary, where a reader of the log's tail sees them.
if [ "$failed" -gt 0 ]; then
  say "Failed tests"
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" |
      sed -n 's/.*testName="\([^"]*\)".*/\1/p' | sed "s|^|$(basename "$trx" .trx): |"
  done
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
