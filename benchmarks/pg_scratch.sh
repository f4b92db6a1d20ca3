#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL cluster on 127.0.0.1 for benchmarks; prints DATABASE_URL.
#   benchmarks/pg_scratch.sh start [dir] [port]    benchmarks/pg_scratch.sh stop [dir]
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/steward-bench-pg}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
  start)
    if [ ! -d "$dir/data" ]; then
      mkdir -p "$dir" && { [ "$(id -u)" = 0 ] && chown postgres "$dir" || true; }
      as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-h 127.0.0.1 -p $port -k $dir -c shared_buffers=512MB -c work_mem=32MB -c effective_cache_size=4GB -c synchronous_commit=off" start >/dev/null
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='steward'" | grep -q 1 \
      || as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres steward
    echo "postgres://postgres@127.0.0.1:$port/steward"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null && echo stopped
    ;;
esac
