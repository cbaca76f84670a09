# SLT-assistenten: one image, as many replicas as you like (with PostgreSQL; see compose.yaml and the README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY manifest ./manifest
RUN pip install . && useradd --system --home /app slt && chown -R slt /app
USER slt

EXPOSE 3978
# /healthz is 200 while the database answers; a container that cannot reach it is restarted.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=2).status != 200)"
CMD ["slt-bot", "serve", "--host", "0.0.0.0", "--port", "3978"]
