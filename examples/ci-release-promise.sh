#!/usr/bin/env bash
# ci-release-promise.sh: a release promise recorded and resolved by CI.
#
# The job that schedules a release records the promise; the deploy job keeps it (or, when
# the release is called off, breaks it). Jobs never pass promise numbers to each other: the
# promise is addressed as ref:PIPELINE-add, PIPELINE being the pipeline's id
# ($CI_PIPELINE_ID on GitLab, else $GITHUB_RUN_ID on GitHub Actions; both stay the same when a
# job or workflow is re-run). Every write carries its own --ref, so a retried step records once.
#
#   ci-release-promise.sh schedule CUSTOMER TEXT DUE [PROMISE-ADD-OPTION...]
#   ci-release-promise.sh deployed [NOTE]
#   ci-release-promise.sh failed [NOTE]
#   ci-release-promise.sh status
#
# Environment:
#   MARRY_DB          the ledger (for CI: a shared PostgreSQL URL, from a secret)
#   MARRY             the marry command (default: marry)
#   MARRY_REF_PREFIX  prepended to every ref, e.g. "billing-" when several projects share a
#                     ledger and their pipeline ids could collide (default: empty)
#
# `failed` is meant for an on-failure job or step: it does nothing (exit 0, a notice) when
# this pipeline scheduled no promise or already delivered it. When a re-run then deploys
# after all, `deployed` voids the break that `failed` recorded and keeps the promise (kept
# late if past due); a break recorded by hand is left alone (deployed then exits 2). To
# correct anything else: marry undo ref:PIPELINE-add.
set -euo pipefail

prog=${0##*/}
marry=${MARRY:-marry}

usage() {
    cat <<EOF
usage: $prog schedule CUSTOMER TEXT DUE [PROMISE-ADD-OPTION...]
       $prog deployed [NOTE]
       $prog failed [NOTE]
       $prog status

  schedule  record the release promise (DUE: a marry date, e.g. 2026-12-04 or +3d);
            extra options go to \`marry promise add\`, e.g. --size large --tag release
  deployed  the release went out: keep the promise (after DUE it counts as kept late)
  failed    the release is called off: break the promise
  status    show the promise and its history

The promise is ref:\${MARRY_REF_PREFIX}\${CI_PIPELINE_ID:-\$GITHUB_RUN_ID}-add in \$MARRY_DB.
EOF
}

bad_usage() {
    echo "$prog: $*" >&2
    usage >&2
    exit 2
}

[[ $# -ge 1 ]] || bad_usage "a subcommand is needed"
command=$1
shift

case $command in
    -h | --help | help)
        usage
        exit 0
        ;;
    schedule)
        [[ $# -ge 3 ]] || bad_usage "schedule needs CUSTOMER, TEXT and DUE"
        [[ -n $1 && -n $2 && -n $3 ]] || bad_usage "CUSTOMER, TEXT and DUE may not be empty"
        ;;
    deployed | failed)
        [[ $# -le 1 ]] || bad_usage "$command takes at most one NOTE (quote it)"
        ;;
    status)
        [[ $# -eq 0 ]] || bad_usage "status takes no arguments"
        ;;
    *)
        bad_usage "unknown subcommand: $command"
        ;;
esac

pipeline=${CI_PIPELINE_ID:-${GITHUB_RUN_ID:-}}
[[ -n $pipeline ]] || bad_usage "no pipeline id: set CI_PIPELINE_ID (GitLab) or GITHUB_RUN_ID (GitHub)"
ref="${MARRY_REF_PREFIX:-}$pipeline"
promise="ref:$ref-add"

# state: "STATUS BY" of this pipeline's promise, BY being "ci" when its standing outcome is
# the break that `failed` recorded (else "-"); "unknown" when this pipeline scheduled none.
state() {
    local shown rc=0 errors
    errors=$(mktemp)
    shown=$("$marry" promise show "$promise" --json 2>"$errors") || rc=$?
    if [[ $rc -eq 2 ]] && grep -qF -- "$ref-add" "$errors"; then
        rm -f "$errors"
        echo unknown
        return
    fi
    if [[ $rc -ne 0 ]]; then
        cat "$errors" >&2
        rm -f "$errors"
        exit "$rc"
    fi
    rm -f "$errors"
    python3 -c '
import json, sys
p = json.loads(sys.argv[1])
voided = {e["voids"] for e in p["events"] if e["kind"] == "void"}
standing = [e for e in p["events"] if e["kind"] != "void" and e["id"] not in voided]
ours = bool(standing) and standing[-1]["kind"] == "broken" and standing[-1]["ref"] == sys.argv[2]
print(p["status"], "ci" if ours else "-")
' "$shown" "$ref-break"
}

case $command in
    schedule)
        customer=$1 text=$2 due=$3
        shift 3
        "$marry" promise add "$text" --customer "$customer" --due "$due" --tag release \
            --ref "$ref-add" "$@"
        ;;
    deployed)
        note=${1:-deployed by pipeline $pipeline}
        current=$(state)
        read -r status by <<<"$current"
        if [[ $status == broken && $by == ci ]]; then
            # `failed` broke it on an earlier attempt, and a re-run delivered after all: void that
            # break (history keeps both), then keep it (late if past due).
            "$marry" undo "$promise" --note "delivered by a re-run of pipeline $pipeline" \
                --ref "$ref-unbreak" >/dev/null
        fi
        "$marry" keep "$promise" --note "$note" --ref "$ref-keep"
        ;;
    failed)
        note=${1:-release failed in pipeline $pipeline}
        current=$(state)
        read -r status by <<<"$current"
        case $status in
            unknown)
                echo "$prog: pipeline $pipeline scheduled no release promise; nothing to break" >&2
                ;;
            kept | kept_late | cancelled)
                echo "$prog: the release promise is already $status; not breaking it" >&2
                ;;
            *)
                "$marry" break "$promise" --note "$note" --ref "$ref-break"
                ;;
        esac
        ;;
    status)
        "$marry" promise show "$promise"
        ;;
esac
