"""gunicorn settings of `make serve` (every value can be overridden from the environment).

Workers: `WEB_CONCURRENCY`, else 2 × cores + 1 (gunicorn's own advice for sync workers,
whose requests wait on the database). Each worker keeps its database connection for
`DB_CONN_MAX_AGE` seconds, so PostgreSQL sees at most WEB_CONCURRENCY connections per server
(or put PgBouncer in front, docs/scaling.md).
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: bounds the memory a long-lived process may accumulate.
max_requests = 2000
max_requests_jitter = 200
# The request log is the app's JSON line (o2c.requests); gunicorn logs only its own events.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Prometheus multiprocess mode: forget the gauges of a worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
