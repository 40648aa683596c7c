# The portal image: `docker run IMAGE` serves (with its worker), `docker run IMAGE worker` runs
# only the worker, `docker run IMAGE migrate` migrates. Without DATABASE_URL and REDIS_URL it
# starts private PostgreSQL and Redis under /data, like `portal serve` on a laptop.

# ---- builder: everything that needs pip and network, kept out of the final image ----------
FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# The same path in both stages: a venv's scripts name their interpreter by absolute path.
RUN python -m venv /opt/portal
ENV PATH=/opt/portal/bin:$PATH

WORKDIR /src
COPY . .
# A regular (not editable) install with the tested pins: the runtime stage gets no source tree.
RUN pip install -c constraints.txt .

# ---- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

# weasyprint lays out the PDFs with pango; HarfBuzz's subsetter cuts a PDF's fonts in C (without
# it weasyprint falls back to fontTools: 90 ms a page instead of 50, measured). The fonts
# themselves ship with the package.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so a mounted /data can be chowned to it on the host; PostgreSQL refuses root anyway.
RUN groupadd --gid 10001 portal \
    && useradd --uid 10001 --gid portal --create-home --shell /usr/sbin/nologin portal \
    && mkdir /data \
    && chown portal:portal /data

COPY --from=builder /opt/portal /opt/portal

ENV PATH=/opt/portal/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORTAL_DATA_DIR=/data \
    PORTAL_HOST=0.0.0.0

# The embedded PostgreSQL and Redis keep their files here; a volume outlives the container.
# Declared after the chown so a new named volume starts out owned by the portal user.
VOLUME ["/data"]

USER 10001:10001
WORKDIR /home/portal
EXPOSE 8000

# Liveness only (/health/live touches neither database nor Redis; /health/ready is readiness). First start runs initdb and the
# migrations, hence the start period. A worker-only container serves no HTTP: run it with
# --no-healthcheck. Run with --init so a reaper is PID 1 for the daemonised embedded PostgreSQL.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORTAL_PORT', '8000') + '/health/live', timeout=4)"]

# Exec form, no shell in between: portal itself gets SIGTERM on `docker stop` and stops the
# server, the worker and the embedded databases cleanly.
ENTRYPOINT ["portal"]
CMD ["serve"]
