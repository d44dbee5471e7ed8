"""gunicorn settings for production. Every value can be overridden from the environment."""

import multiprocessing
import os
import shutil
import tempfile

wsgi_app = "kpi_platform.wsgi:app"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"remote":"%(h)s","request":"%(r)s","status":%(s)s,"bytes":%(b)s,"ms":%(M)s,"request_id":"%({x-request-id}o)s"}'
)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Fail at boot, not on the first request, when the configuration is unusable.
preload_app = True

# Prometheus: the workers share their counters through files (prometheus-client's multiprocess
# mode), so /metrics answers for the whole server whichever worker serves it. The folder is set
# before the app is loaded (preload_app) and is new at every start.
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="kpi-metrics-")
shutil.rmtree(metrics_dir, ignore_errors=True)
os.makedirs(metrics_dir, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
