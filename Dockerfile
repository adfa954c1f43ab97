# lae-robot as a container: slim Python, non-root, rules and var/ as volumes, config mounted, no secrets baked in.
FROM python:3.11-slim

RUN useradd --system --create-home --uid 10001 robot
WORKDIR /app

COPY pyproject.toml README.md LICENSE ./
COPY robot ./robot
RUN pip install --no-cache-dir .

# Defaults a kommune replaces by mounting its own: /app/config.toml, /app/rules, /app/var.
# Relative paths in the config are taken from /app (rules/, var/...).
COPY config.example.toml ./config.toml
COPY rules ./rules
RUN mkdir -p /app/var/archive /app/var/outbox && chown -R robot /app/var

USER robot
ENV LAE_ROBOT_CONFIG=/app/config.toml
VOLUME ["/app/var", "/app/rules"]
# SMTP listener and the /healthz + /metrics endpoint, as configured in config.toml
# (set [ingress.smtp] host and [observe] host to 0.0.0.0 to reach them from outside the container).
EXPOSE 2525 9187
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import json, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:9187/healthz', timeout=4); sys.exit(0 if json.load(r)['status'] == 'ok' else 1)"]
ENTRYPOINT ["lae-robot"]
CMD ["run"]
