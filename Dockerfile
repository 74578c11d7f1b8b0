# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml setup.py constraints.txt README.md ./
COPY src ./src
COPY migrations ./migrations
RUN python -m venv /opt/qbsync \
 && /opt/qbsync/bin/pip install -c constraints.txt .

FROM python:3.11-slim
# A container listens on its own interface; qbsync's default is loopback.
ENV PATH=/opt/qbsync/bin:$PATH PYTHONUNBUFFERED=1 QBSYNC_LOG__JSON_FORMAT=true \
    QBSYNC_SERVER__HOST=0.0.0.0
RUN groupadd --system qbsync && useradd --system --gid qbsync --no-create-home qbsync
COPY --from=build /opt/qbsync /opt/qbsync
USER qbsync
EXPOSE 8095
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8095/health/live').status == 200 else 1)"]
ENTRYPOINT ["qbsync"]
CMD ["serve"]
