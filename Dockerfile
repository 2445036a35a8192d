# Citebot in a container: `docker compose up` (compose.yaml) runs it with PostgreSQL.
# The install step is the README's `pip install .`; the data dir and the corpus are volumes.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN pip install .

# The bundled articles seed the corpus volume the first time it is mounted empty.
COPY corpus /corpus

RUN useradd --system --uid 10001 --home-dir /data --no-create-home citebot \
    && mkdir -p /data \
    && chown -R citebot:citebot /data /corpus
USER citebot

ENV CITEBOT_DATA_DIR=/data \
    CITEBOT_CORPUS_DIR=/corpus
VOLUME ["/data", "/corpus"]

# Healthy while the bot is connected to Discord: it refreshes /data/heartbeat.json every 30 s.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["citebot", "health"]

# SIGTERM (docker stop) closes the gateway and the store cleanly.
STOPSIGNAL SIGTERM
CMD ["citebot", "run"]
