# syntax=docker/dockerfile:1
# One image for the services (and the simulated GDS); docker-compose.yml picks the service with `command:`
# (python -m <service>), or run it directly with SERVICE set:
#   docker build -t dialogue-logistics . && docker run -e SERVICE=travel dialogue-logistics
FROM python:3.11-slim

ARG UV_VERSION=0.13.9

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system \
    UV_PROJECT_ENVIRONMENT=/app/.venv

# DejaVu Sans: notifications embeds it in the invitation letters (names in Latin, Greek, Cyrillic, Arabic scripts).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && useradd --system --uid 10001 --no-create-home --home-dir /app logistics

WORKDIR /app

# The whole workspace (see .dockerignore): the root pyproject.toml, uv.lock, shared/, cli/, services/*
# with their migrations. Workspace members are installed editable, so the sources must stay in /app.
COPY . .

RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

ENV PATH=/app/.venv/bin:$PATH \
    HTTP_HOST=0.0.0.0

USER logistics

# registration, sponsorship, travel or notifications; each reads <SERVICE>_HTTP_PORT (8101..8104).
EXPOSE 8101 8102 8103 8104
CMD ["sh", "-c", "exec python -m \"${SERVICE:?set SERVICE to registration, sponsorship, travel or notifications}\""]
