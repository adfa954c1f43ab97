# lae-robot in a container: slim Python, non-root, rules and var/ as volumes, no secrets baked in.
FROM python:3.11-slim

RUN useradd --system --create-home --uid 10001 robot
WORKDIR /app

COPY pyproject.toml README.md LICENSE ./
COPY robot ./robot
COPY rules ./rules
COPY config.example.toml ./config.example.toml
RUN pip install --no-cache-dir . && mkdir -p /app/var && chown robot /app/var

USER robot
ENV LAE_ROBOT_CONFIG=/app/config.example.toml
VOLUME ["/app/var", "/app/rules"]
ENTRYPOINT ["lae-robot"]
# Until the daemon exists (a later issue): validate the mounted rules.
CMD ["check-rules"]
