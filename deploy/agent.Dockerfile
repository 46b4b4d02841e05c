# The example agent of docker-compose.yml: this project installed into python:3.11-slim.
# Build context is the repository root (docker-compose.yml sets context: ..).
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# otlp: the compose file points OTEL_EXPORTER_OTLP_ENDPOINT at the collector, and configure()
# needs the SDK and exporters (an extra since the runtime depends on opentelemetry-api only)
RUN pip install --no-cache-dir ".[redis,otlp]"
EXPOSE 9464
# Serves /metrics on 9464 and, with OTEL_EXPORTER_OTLP_ENDPOINT set, exports OTLP.
CMD ["codomyrmex-perf", "serve", "--port", "9464", "--addr", "0.0.0.0"]
