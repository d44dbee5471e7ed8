#!/bin/sh
# The image's entrypoint (Dockerfile): the first argument names the process to run, so one image
# serves every part of the deployment. Each process replaces this shell (exec) and gets the signals.
set -eu
role="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi
case "$role" in
  web) exec gunicorn -c gunicorn.conf.py "$@" ;;
  worker) exec kpi-platform worker "$@" ;;
  # Beat keeps only the time of each job's last run in this file; the schedule itself is in the code.
  beat) exec kpi-platform beat --schedule "${KPI_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}" "$@" ;;
  migrate) exec kpi-platform db upgrade "$@" ;;
  create-roles) exec kpi-platform db create-roles "$@" ;;
  pgbouncer) exec pgbouncer "${PGBOUNCER_CONFIG:-/etc/pgbouncer/pgbouncer.ini}" "$@" ;;
  *) exec "$role" "$@" ;;
esac
