"""gunicorn settings for the gateway: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

Threads per worker keep I/O waits (Redis, SQL, upstream calls) from idling a core; workers give
parallelism across cores (the GIL). Each worker builds its own Redis and SQL pools at import of
wsgi.py — nothing is shared between processes, so any number of workers and hosts can serve the
same sessions.
"""

import multiprocessing
import os

bind = f"{os.environ.get('GATEWAY_BIND', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '5000')}"
workers = int(os.environ.get("GATEWAY_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GATEWAY_THREADS", 4))
worker_class = "gthread"
timeout = 30          # a request stuck longer than this is killed; upstream timeouts are far shorter
graceful_timeout = 20
keepalive = 5
max_requests = 20000  # recycle workers now and then
max_requests_jitter = 2000
accesslog = os.environ.get("GATEWAY_ACCESS_LOG", "-")
# %(m)s %(U)s, not %(r)s: the query string can carry credentials (id_token_hint at /logout, the
# province's ticket at the callback) and must not reach the access log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("GATEWAY_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR set): drop a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
