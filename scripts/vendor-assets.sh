#!/usr/bin/env bash
# Re-fetch the vendored front-end assets from the npm registry (pinned versions).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent htmx.org@2.0.11 chart.js@4.6.1 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done )
cp "$tmp"/htmx.org-2.0.11/package/dist/htmx.min.js static/vendor/htmx/
cp "$tmp"/chart.js-4.6.1/package/dist/chart.umd.min.js "$tmp"/chart.js-4.6.1/package/dist/chart.umd.min.js.map static/vendor/chartjs/
echo "vendored htmx 2.0.11 and chart.js 4.6.1"
