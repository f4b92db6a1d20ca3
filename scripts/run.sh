#!/usr/bin/env bash
# `make run`: migrate, load the demo portfolio when the database is empty, then serve with
# gunicorn next to the background worker and the scheduler. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=config.settings
mkdir -p var

# A secret key of this installation, generated once and never committed.
if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
  if [ ! -s var/secret_key ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(64))' > var/secret_key)
  fi
  export SECRET_KEY_FILE="$PWD/var/secret_key"
fi
# The local demo is served over plain http on the loopback address: no HTTPS-only cookies.
export STEWARD_HTTPS=${STEWARD_HTTPS:-false}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-localhost,127.0.0.1}
# Mail goes to the console log unless an SMTP server is configured.
export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}

"$PY" manage.py migrate --noinput
"$PY" manage.py seed_demo --if-empty
"$PY" manage.py collectstatic --noinput >/dev/null

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$PY" manage.py db_worker >var/worker.log 2>&1 &
pids+=($!)
"$PY" manage.py run_scheduler >var/scheduler.log 2>&1 &
pids+=($!)
.venv/bin/gunicorn config.wsgi --bind "$HOST:$PORT" --workers "${WEB_WORKERS:-3}" --access-logfile - --error-logfile - &
pids+=($!)

for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null "http://$HOST:$PORT/login/" 2>/dev/null; then break; fi
  sleep 0.5
done
echo
echo "Steward is running at http://$HOST:$PORT/  (worker log: var/worker.log, scheduler log: var/scheduler.log)"
"$PY" manage.py seed_demo --print-logins
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}"
