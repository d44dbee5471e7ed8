# syntax=docker/dockerfile:1
# One image for every process of kpi-platform; the first argument chooses (scripts/docker/entrypoint.sh):
#   web (gunicorn, the default), worker, beat, migrate (kpi-platform db upgrade), create-roles,
#   pgbouncer (Debian's PgBouncer, for the chart's pooler), or any other command.
#
#   docker build -t registry.example.gov.vn/kpi-platform:0.1.0 .
#   docker run --rm -p 8000:8000 --env-file prod.env registry.example.gov.vn/kpi-platform:0.1.0
#
# The final stage holds no compiler and no build tool: the dependencies are wheels, installed in the
# build stage into /opt/kpi, a virtual environment copied over whole. It runs as uid 10001.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/kpi
ENV PATH=/opt/kpi/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY migrations ./migrations
COPY scripts/translations.py ./scripts/
# The pages' English catalog is compiled here from its .po (what Flask-Babel reads at run time),
# then the project is installed as a wheel (not editable) with its templates, catalogs and assets.
RUN pip install "Babel>=2.12" \
    && python scripts/translations.py --compile \
    && pip install . \
    && python -c "import kpi_platform.wsgi"

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="kpi-platform" \
      org.opencontainers.image.description="KPI-based evaluation of officials, one isolated tenant per province"
# PgBouncer from Debian (the chart's pooler runs this same image); nothing else is added.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 kpi \
    && useradd --system --uid 10001 --gid kpi --home-dir /app --no-create-home --shell /usr/sbin/nologin kpi
COPY --from=build /opt/kpi /opt/kpi
WORKDIR /app
COPY gunicorn.conf.py ./
COPY --chmod=0755 scripts/docker/entrypoint.sh /usr/local/bin/kpi-entrypoint
COPY --chmod=0755 scripts/docker/healthcheck.sh /usr/local/bin/kpi-healthcheck
# The root filesystem can be read-only: everything written at run time goes to /tmp
# (the instance folder, beat's schedule file), an emptyDir in the chart.
ENV PATH=/opt/kpi/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KPI_ENV=production \
    KPI_INSTANCE_PATH=/tmp/kpi \
    KPI_BEAT_SCHEDULE=/tmp/celerybeat-schedule \
    PORT=8000
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["kpi-healthcheck"]
ENTRYPOINT ["kpi-entrypoint"]
CMD ["web"]
