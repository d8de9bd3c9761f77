# The EchoSphere operator image (kopf). Build from the repository root:
#   docker build -f images/operator.Dockerfile -t echosphere-operator .

ARG PYTHON=python:3.11-slim-bookworm

# --- build: the operator and the shared core, in a virtualenv.
FROM ${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/operator
COPY pyproject.toml README.md ./
COPY services ./services
COPY operator ./operator
RUN /opt/operator/bin/pip install --no-compile ".[operator]"

# --- final: the interpreter, the virtualenv, nothing else.
FROM ${PYTHON}
LABEL org.opencontainers.image.title="echosphere-operator" \
      org.opencontainers.image.description="Runs EchoCluster resources: nodes, API, ingress, wiring" \
      org.opencontainers.image.source="https://github.com/echosphere/echosphere" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 operator \
 && useradd --system --uid 10001 --gid operator --home-dir /nonexistent --shell /usr/sbin/nologin operator
COPY --from=build /opt/operator /opt/operator
ENV PATH=/opt/operator/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ECHO_OPERATOR_LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "echosphere_operator"]
