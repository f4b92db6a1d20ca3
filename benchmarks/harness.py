"""What every benchmark script shares: Django set up against DATABASE_URL, and timing a request in-process.

Requests go through Django's full stack (middleware, views, templates, ORM) without a network hop,
so the figures are server time. Each case is warmed up, then timed `runs` times; the median and
p95 are printed with the number of queries one request makes.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("STEWARD_TESTING", "1")  # plain http, no HTTPS redirect, in-process client
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402


def fetch(client: Client, url: str, headers: dict | None):
    """One request, its body read to the end (a streamed export is produced while it is read)."""
    response = client.get(url, headers=headers or {})
    if response.streaming:
        response.body_bytes = b"".join(response.streaming_content)
    else:
        response.body_bytes = response.content
    return response


def measure(client: Client, url: str, runs: int, headers: dict | None = None) -> tuple[float, float, int, int]:
    """Median and p95 in ms over `runs` requests after warm-up, the status and the query count."""
    for _ in range(min(3, runs)):
        response = fetch(client, url, headers)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fetch(client, url, headers)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = fetch(client, url, headers)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, response.status_code, len(queries)


def run_cases(cases: list, runs: int) -> None:
    """Print one line per case: (label, client, url, headers[, runs])."""
    print(f"{'case':<58} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7}")
    for label, client, url, headers, *own_runs in cases:
        median, p95, status, n_queries = measure(client, url, own_runs[0] if own_runs else runs, headers)
        print(f"{label:<58} {median:>10.1f} {p95:>8.1f} {n_queries:>8} {status:>7}", flush=True)
        if status != 200:
            raise SystemExit(f"{url} answered {status}: the figures above are not valid")


def time_call(label: str, fn, runs: int) -> None:
    """Median and p95 of a plain function call (a selector or an aggregate), in ms."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    print(f"{label:<58} {statistics.median(samples):>10.1f} {p95:>8.1f}", flush=True)


__all__ = ["Client", "connection", "fetch", "measure", "run_cases", "time_call"]
