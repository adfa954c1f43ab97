# lae-robot as a container: a pinned slim Python, the locked dependencies (hashes checked), a non-root user, the
# container config (docker/config.toml: listeners on 0.0.0.0, JSON logs, everything kept under /data volumes).
# Build and run: docker compose up -d (compose.yaml). To move the base image: change the tag below and rebuild.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Tesseract OCR with Danish: a scan (a PDF without a text layer) is read for a suggestion a person confirms
# ([extract] ocr; README "Scans: OCR suggestions"). Debian's packages, nothing fetched at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-dan \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --user-group --create-home --uid 10001 robot
WORKDIR /app

# The runtime dependencies exactly as locked (README "Docker": how to refresh requirements.lock), in their own
# layer so a change of code does not reinstall them; then the robot itself, without resolving anything again.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY robot ./robot
RUN pip install --no-deps . && rm -rf build robot.egg-info

COPY rules ./rules
COPY docker/config.toml ./config.toml
COPY docker/healthcheck.py ./healthcheck.py
# One folder per volume, the robot's own and private: a new named volume takes this owner and mode.
RUN mkdir -p /data/register /data/archive /data/ledger /data/outbox \
    && chown -R robot:robot /data && chmod 0700 /data/register /data/archive /data/ledger /data/outbox

USER robot
ENV LAE_ROBOT_CONFIG=/app/config.toml
VOLUME ["/data/register", "/data/archive", "/data/ledger", "/data/outbox"]
# SMTP listener, and /healthz + /metrics (both bound to 0.0.0.0 by /app/config.toml)
EXPOSE 2525 9187
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "/app/healthcheck.py"]
# `run` stops on SIGTERM: intake closes, work in flight drains for daemon.drain_seconds (compose waits longer)
ENTRYPOINT ["lae-robot"]
CMD ["run"]
