#!/usr/bin/env bash
# seed-demo.sh: a realistic demo ledger, a dozen customers over a year, every stage of SPEC §5.
#
#   MARRY_DB=/tmp/demo.db examples/seed-demo.sh
#
# Every date is relative to today, so the demo always looks current:
#   Northwind Traders    married    25 promises kept fortnightly for over a year
#   Initech              loyal      12 kept fortnightly for half a year
#   Globex Corporation   trusted    5 kept over three months; one due date moved early
#   Massive Dynamic      dating     1 kept, then one delivered two days late
#   Umbrella Health      dating     1 kept, one open
#   Cyberdyne Systems    strained   1 kept, then a due date moved at the last minute
#   Acme Corp            dating     1 kept, one cancelled by the customer
#   Hooli                stranger   only promises the customer does not value (value none)
#   Soylent              stranger   new: two open promises, nothing delivered yet
#   Vandelay Industries  strained   kept, then a small promise broken
#   Pied Piper           strained   kept, kept, then one left overdue
#   Stark Logistics      estranged  kept, then a large promise broken
#
# About 120 marry calls: married alone needs 25 valued promises kept (add + keep each).
#
# Every write has a --ref (demo-...), so running it again records nothing twice. It writes
# to the ledger in $MARRY_DB, which must be set, so that a demo never lands in your own
# ledger by accident. MARRY is the marry command (default: marry). Customers are seeded
# MARRY_SEED_JOBS at a time (default 2; 1 gives promise numbers in customer order).
set -euo pipefail

prog=${0##*/}
marry=${MARRY:-marry}

usage() {
    echo "usage: MARRY_DB=PATH_OR_URL $prog"
    echo "Fills the ledger in \$MARRY_DB with a demo: a dozen customers, one year, every stage."
}
case ${1:-} in
    -h | --help)
        usage
        exit 0
        ;;
    "") ;;
    *)
        echo "$prog: no arguments expected: $1" >&2
        usage >&2
        exit 2
        ;;
esac
if [[ -z ${MARRY_DB:-} ]]; then
    echo "$prog: set MARRY_DB to the demo ledger, e.g. MARRY_DB=/tmp/marry-demo.db" >&2
    exit 2
fi
jobs=${MARRY_SEED_JOBS:-2}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || {
    echo "$prog: MARRY_SEED_JOBS must be a positive number, not '$jobs'" >&2
    exit 2
}

# Days are counted from today (0), negative in the past; times are UTC.
if date -u -d @0 >/dev/null 2>&1; then
    utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; } # GNU date
else
    utc() { date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ; } # BSD date (macOS)
fi
now=$(date -u +%s)
today=$((now - now % 86400))
at() { # at DAY HH:MM
    utc "$((today + $1 * 86400 + 10#${2%:*} * 3600 + 10#${2#*:} * 60))"
}

# promise KEY CUSTOMER TEXT MADE_DAY DUE_DAY [PROMISE-ADD-OPTION...]
promise() {
    local key=$1 customer=$2 text=$3 made=$4 due=$5
    shift 5
    "$marry" promise add "$text" --customer "$customer" --made "$(at "$made" 09:30)" \
        --due "$(at "$due" 17:00)" --ref "demo-$key" "$@" >/dev/null
}
keep() { # keep KEY DAY [HH:MM]
    "$marry" keep "ref:demo-$1" --at "$(at "$2" "${3:-15:00}")" --ref "demo-$1-kept" >/dev/null
}
break_() { # break_ KEY DAY NOTE
    "$marry" break "ref:demo-$1" --at "$(at "$2" 11:00)" --note "$3" --ref "demo-$1-broken" >/dev/null
}
renegotiate() { # renegotiate KEY DAY NEW_DUE_DAY NOTE
    "$marry" renegotiate "ref:demo-$1" --at "$(at "$2" 10:00)" --due "$(at "$3" 17:00)" \
        --note "$4" --ref "demo-$1-renegotiated" >/dev/null
}
cancel() { # cancel KEY NOTE
    "$marry" promise cancel "ref:demo-$1" --note "$2" --ref "demo-$1-cancelled" >/dev/null
}

texts=(
    "Weekly usage report" "Fix the CSV export encoding" "Quarterly business review deck"
    "Restore the nightly sync" "Answer the security questionnaire" "Onboard two new admins"
    "Patch the invoice rounding bug" "Renewal quote" "Custom dashboard for operations"
    "Training session for support staff" "Raise the API rate limit" "Audit log export"
    "Status page for the outage" "Bulk user import"
)
sizes=(medium small small)

# series SLUG CUSTOMER COUNT FIRST_DAY EVERY [PROMISE-ADD-OPTION...]: COUNT promises, the
# i-th made on day FIRST_DAY + EVERY*i, due EVERY days later, kept the day before.
series() {
    local slug=$1 customer=$2 count=$3 first=$4 every=$5 i made
    shift 5
    for ((i = 0; i < count; i++)); do
        made=$((first + every * i))
        promise "$slug-$i" "$customer" "${texts[(i + ${#slug}) % ${#texts[@]}]}" \
            "$made" "$((made + every))" --size "${sizes[i % ${#sizes[@]}]}" "$@"
        keep "$slug-$i" "$((made + every - 1))"
    done
}

northwind() { # married: trust >= 0.90, 25+ valued kept, over 365 days
    series northwind "Northwind Traders" 25 -400 15 --owner dana --tag enterprise
    promise northwind-eu "Northwind Traders" "Move the data to the EU region" -30 5 \
        --size large --owner dana
    renegotiate northwind-eu -15 30 "their DPA review takes longer"
}
initech() { # loyal: trust >= 0.80, 12+ valued kept, over 180 days
    series initech Initech 12 -205 15 --owner lee
    promise initech-tps "Initech" "New TPS report template" -4 10 --size small --owner lee
}
globex() { # trusted: trust >= 0.60, 5+ valued kept, over 60 days
    series globex "Globex Corporation" 5 -110 15 --owner sam
    promise globex-api "Globex Corporation" "Public API for shipments" -20 3 --size large --owner sam
    renegotiate globex-api -6 20 "agreed a later date on the weekly call"
}
massive() { # dating, the second delivery two days late
    series massive "Massive Dynamic" 1 -40 14 --owner dana
    promise massive-late "Massive Dynamic" "Fix the failing webhook retries" -15 -8 \
        --size small --owner dana
    keep massive-late -6
}
umbrella() { # dating
    series umbrella "Umbrella Health" 1 -30 14 --owner sam
    promise umbrella-hipaa "Umbrella Health" "HIPAA addendum signed" -2 4 --owner sam
}
cyberdyne() { # strained: a due date moved on the day it fell due
    series cyberdyne "Cyberdyne Systems" 1 -45 14 --owner lee
    promise cyberdyne-rca "Cyberdyne Systems" "Root cause of the March outage" -20 -10 \
        --size small --owner lee
    renegotiate cyberdyne-rca -10 7 "still waiting for the hosting provider's logs"
}
acme() { # dating, one promise cancelled by the customer
    series acme "Acme Corp" 1 -60 14 --owner dana
    promise acme-fax "Acme Corp" "Fax gateway integration" -12 20 --owner dana
    cancel acme-fax "customer dropped the request"
}
hooli() { # stranger: delivered, but nothing the customer values
    series hooli Hooli 2 -50 14 --owner sam --value none
}
soylent() { # stranger: new, nothing delivered yet
    promise soylent-pilot "Soylent" "Pilot workspace set up" -3 4 --owner lee
    promise soylent-import "Soylent" "Import their product catalogue" -3 12 --size large --owner lee
}
vandelay() { # strained: distrust > trust
    series vandelay "Vandelay Industries" 1 -40 14 --owner sam
    promise vandelay-broken "Vandelay Industries" "Latex price feed" -26 -19 --size small \
        --owner sam
    break_ vandelay-broken -19 "supplier API changed"
}
piedpiper() { # strained by an overdue promise
    series piedpiper "Pied Piper" 2 -35 7 --owner lee
    promise piedpiper-late "Pied Piper" "Compression benchmark results" -14 -5 --owner lee
}
stark() { # estranged: distrust >= 0.70
    series stark "Stark Logistics" 1 -50 14 --owner dana
    promise stark-broken "Stark Logistics" "Fleet tracking go-live" -36 -29 --size large \
        --owner dana
    break_ stark-broken -29 "integration partner pulled out"
}

customers=(northwind initech globex piedpiper massive cyberdyne vandelay stark acme hooli umbrella
    soylent) # longest first
if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 403)); then
    jobs=1 # no `wait -n` before bash 4.3 (macOS has 3.2)
fi
seed_all() { # MARRY_SEED_JOBS customers at a time; any failure fails the script
    local customer failed=0 running=0
    for customer in "${customers[@]}"; do
        if ((running >= jobs)); then
            wait -n || failed=1
            running=$((running - 1))
        fi
        echo "$prog: seeding $customer" >&2
        if ((jobs == 1)); then
            "$customer"
        else
            "$customer" &
            running=$((running + 1))
        fi
    done
    while ((running > 0)); do
        wait -n || failed=1
        running=$((running - 1))
    done
    if ((failed)); then
        echo "$prog: seeding failed (see the errors above)" >&2
        return 1
    fi
}

seed_all # not in a condition: that would switch `set -e` off inside it
"$marry" report
