# The EchoSphere service image: one image, two roles.
#   echosphere serve api    the HTTP API
#   echosphere serve node   a websocket chat node
# Build from the repository root:
#   docker build -f images/echosphere.Dockerfile -t echosphere .

ARG PYTHON=python:3.11-slim-bookworm

# --- build: wheels and a virtualenv, with the compilers some wheels may need.
FROM ${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/echosphere
COPY pyproject.toml README.md ./
COPY services ./services
COPY operator ./operator
RUN /opt/echosphere/bin/pip install --no-compile .

# --- final: the interpreter, the virtualenv, nothing else.
FROM ${PYTHON}
LABEL org.opencontainers.image.title="echosphere" \
      org.opencontainers.image.description="EchoSphere chat: API and websocket node roles" \
      org.opencontainers.image.source="https://github.com/echosphere/echosphere" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 echo \
 && useradd --system --uid 10001 --gid echo --home-dir /nonexistent --shell /usr/sbin/nologin echo
COPY --from=build /opt/echosphere /opt/echosphere
ENV PATH=/opt/echosphere/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ECHO_LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["echosphere"]
CMD ["serve", "api", "--host", "0.0.0.0", "--port", "8080"]
