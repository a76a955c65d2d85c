#!/usr/bin/env bash
# make-report-png.sh: the README's picture of the HTML report, docs/report.png.
#
#   docs/make-report-png.sh            # needs marry installed and Debian's chromium
#
# Seeds the demo ledger (examples/seed-demo.sh) in a temporary folder, writes its report
# page with `marry report --format html`, and takes a screenshot of it in headless
# Chromium. MARRY is the marry command (default: marry); CHROMIUM the browser (default:
# chromium). Nothing outside the temporary folder is touched but docs/report.png.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
marry=${MARRY:-marry}
chromium=${CHROMIUM:-chromium}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export MARRY_DB="$work/demo.db" MARRY_SEED_JOBS=1 NO_COLOR=1
MARRY="$marry" bash "$here/../examples/seed-demo.sh" >/dev/null 2>&1
"$marry" report --format html --output "$work/report.html"
# --no-sandbox: as root (a container, CI) Chromium's sandbox cannot start.
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$work/profile" --window-size=1100,1500 \
  --screenshot="$work/report.png" "file://$work/report.html" >/dev/null 2>&1
mv "$work/report.png" "$here/report.png"
echo "wrote $here/report.png"
