#!/bin/sh
# The image's HEALTHCHECK: asks the process the container runs (PID 1) whether it is alive.
# Kubernetes ignores it and uses the chart's probes, which check the same things.
set -eu
cmdline=$(tr '\0' ' ' < /proc/1/cmdline)
case "$cmdline" in
  *gunicorn*)
    exec python -c "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=5)" ;;
  *"kpi-platform worker"*)
    exec celery -b "$KPI_REDIS_URL" inspect ping -d "celery@${HOSTNAME:-$(cat /etc/hostname)}" --timeout 5 ;;
  *pgbouncer*)
    exec python -c "import socket; socket.create_connection(('127.0.0.1', 6432), timeout=5).close()" ;;
  *)
    exit 0 ;;  # beat, migrations, one-off commands: alive while they run
esac
