#!/usr/bin/env bash
# weekly-report.sh: this week's promise report, as files and as a summary for the team channel.
#
#   weekly-report.sh [DIR]      (default DIR: ./marry-report-YYYY-MM-DD)
#
# Writes into DIR:
#   report.csv    `marry report --format csv`, one row per customer
#   report.json   `marry report --format json`
#   summary.txt   a few lines to paste into a team channel: stages, keep rate, overdue
#                 promises, and the customers who need attention (estranged or strained,
#                 something overdue, or trust down since last week)
# and prints summary.txt. All reports are taken as of one moment, so they agree. Each file
# is written to a temporary name in DIR and renamed into place, so a reader (or a sync job)
# never sees half a file, and a failed run leaves the previous files as they were.
#
# Environment: MARRY_DB (the ledger), MARRY (the marry command, default: marry). Needs python3.
set -euo pipefail

prog=${0##*/}
marry=${MARRY:-marry}

usage() {
    cat <<EOF
usage: $prog [DIR]

Writes report.csv, report.json and summary.txt for the ledger in \$MARRY_DB into DIR
(default: ./marry-report-\$(date +%F)) and prints the summary.
EOF
}

case ${1:-} in
    -h | --help)
        usage
        exit 0
        ;;
    -*)
        echo "$prog: unknown option: $1" >&2
        usage >&2
        exit 2
        ;;
esac
if [[ $# -gt 1 ]]; then
    echo "$prog: at most one DIR" >&2
    usage >&2
    exit 2
fi
command -v python3 >/dev/null || {
    echo "$prog: python3 is needed for the summary" >&2
    exit 2
}

dir=${1:-./marry-report-$(date +%F)}
mkdir -p -- "$dir"
work=$(mktemp -d "$dir/.marry-report.XXXXXX") # in DIR: renames into DIR are atomic
trap 'rm -rf -- "$work"' EXIT

# One moment for every report; last week's report for the trend.
if date -u -d @0 >/dev/null 2>&1; then
    utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; } # GNU date
else
    utc() { date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ; } # BSD date (macOS)
fi
now=$(date -u +%s)
as_of=$(utc "$now")
week_ago=$(utc "$((now - 7 * 86400))")

"$marry" report --as-of "$as_of" --format csv >"$work/report.csv"
"$marry" report --as-of "$as_of" --format json >"$work/report.json"
"$marry" report --as-of "$week_ago" --format json >"$work/last-week.json"

python3 - "$work/report.json" "$work/last-week.json" >"$work/summary.txt" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    report = json.load(f)
with open(sys.argv[2], encoding="utf-8") as f:
    before = {c["customer"]: c for c in json.load(f)["customers"]}

customers = report["customers"]
order = ["married", "loyal", "trusted", "dating", "stranger", "strained", "estranged"]
stages = {s: sum(c["stage"] == s for c in customers) for s in order}
kept = sum(c["kept"] for c in customers)
failed = sum(c["kept_late"] + c["broken"] + c["overdue"] for c in customers)
overdue = sum(c["overdue"] for c in customers)


def pct(x):
    return f"{100 * x:.0f}%"


print(f"Promise ledger, week ending {report['as_of'][:10]}: {len(customers)} customer(s)")
if not customers:
    print("No promises recorded yet.")
    sys.exit()
print("Stages: " + ", ".join(f"{n} {s}" for s, n in stages.items() if n))
if kept + failed:
    print(f"Kept on time: {kept} of {kept + failed} resolved or overdue ({pct(kept / (kept + failed))})")
if overdue:
    print(f"Overdue now: {overdue} promise(s)")

attention = []
for c in customers:
    why = []
    if c["stage"] in ("estranged", "strained"):
        why.append(c["stage"])
    if c["overdue"]:
        why.append(f"{c['overdue']} overdue")
    old = before.get(c["customer"])
    if old is not None:
        if c["trust"] < old["trust"] - 0.05:
            why.append(f"trust {old['trust']:.2f} -> {c['trust']:.2f} this week")
        if old["stage"] != c["stage"] and order.index(c["stage"]) > order.index(old["stage"]):
            why.append(f"was {old['stage']}")
    if why:
        attention.append((c["distrust"] - c["trust"], c["customer"], why))

if attention:
    print(f"Needs attention ({len(attention)}):")
    for _, name, why in sorted(attention, key=lambda a: (-a[0], a[1].casefold())):
        print(f"  - {name}: {', '.join(why)}")
else:
    print("Needs attention: nobody.")

moved = [
    (c["customer"], before[c["customer"]]["stage"], c["stage"])
    for c in customers
    if c["customer"] in before
    and order.index(c["stage"]) < order.index(before[c["customer"]]["stage"])
]
for name, old, new in moved:
    print(f"Up this week: {name}, {old} -> {new}")
PY

for name in report.csv report.json summary.txt; do
    mv -f -- "$work/$name" "$dir/$name"
done
cat -- "$dir/summary.txt"
echo "$prog: wrote $dir/report.csv, $dir/report.json and $dir/summary.txt" >&2
