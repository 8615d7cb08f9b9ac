# sarcoma-cds: the CDS Hooks service (hooks.app:app) under uvicorn, started by
# `sarcoma-cds serve` (connection limits and timeouts from SARCOMA_CDS_* settings).
# Build: docker build -t sarcoma-cds .      (or: buildah bud -t sarcoma-cds .)
# Run:   docker run -p 8080:8080 -e SARCOMA_CDS_PUBLIC_BASE_URL=https://cds.example.org \
#          -e SARCOMA_CDS_TRUSTED_ISSUERS=/config/trusted-issuers.toml -v "$PWD/config:/config:ro" \
#          -v sarcoma-var:/app/var sarcoma-cds
# (config/trusted-issuers.toml is yours to write: config/trusted-issuers.example.toml shows the
# format and trusts a public test key only.)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SARCOMA_CDS_DB=/app/var/sarcoma-cds.sqlite3

RUN groupadd --system --gid 10001 sarcoma \
    && useradd --system --uid 10001 --gid sarcoma --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin sarcoma

WORKDIR /app

# Dependencies first (their own layer, rebuilt only when pyproject.toml changes): the runtime
# requirements listed in [project] dependencies, without the project itself.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-compile -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the source: the clinical core, the service and the FHIR profiles (read-only, root-owned),
# installed as the package (no dependencies: they are the layer above), which puts the
# `sarcoma-cds` command on the PATH and gives `sarcoma-cds --version` its metadata.
COPY README.md LICENSE ./
COPY cds/ ./cds/
COPY hooks/ ./hooks/
COPY fhir_profiles/ ./fhir_profiles/
RUN pip install --no-compile --no-deps /app \
    && rm -rf /app/build /app/*.egg-info \
    && sarcoma-cds --version \
    && mkdir -p /app/var && chown sarcoma:sarcoma /app/var

USER 10001:10001
VOLUME ["/app/var"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3).status == 200 else 1)"]

# `sarcoma-cds serve` (installed above): the same settings as outside the container
# (SARCOMA_CDS_*): worker processes (SARCOMA_CDS_WORKERS), the shared metrics directory for them,
# graceful shutdown on SIGTERM, JSON logs, the separate metrics port; it checks the
# configuration first (one line naming the variable, exit 2) and runs uvicorn with the
# connection limits and timeouts (SARCOMA_CDS_LIMIT_CONCURRENCY, _BACKLOG, _TIMEOUT_KEEP_ALIVE,
# _REQUEST_TIMEOUT, _MAX_HEADER_BYTES); run it behind a reverse proxy (SECURITY.md,
# "Deployment"). The store is SQLite on the volume by default (WAL mode, safe for the workers
# of one container); several containers share a PostgreSQL database
# (SARCOMA_CDS_DB=postgresql://...; deploy/compose.yaml, deploy/kubernetes/).
CMD ["sarcoma-cds", "serve", "--host", "0.0.0.0", "--port", "8080"]
