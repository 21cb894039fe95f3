"""Generate a realistic monorepo of compose files and Dockerfiles for the benchmark.

The tree mixes the shapes dindlint meets in the wild: Docker-in-Docker CI stacks (daemon +
runner sharing the socket through a volume), host-socket tools (reverse proxy, dashboards,
updaters), Jenkins with a `docker` group added in its Dockerfile, ordinary multi-stage web apps,
and the incident's stack. Files reference each other across folders: ``extends`` from a shared
``common.compose.yaml``, ``include`` of a shared DinD daemon file, build contexts pointing at
shared images, override files and ``.env`` files. Everything is deterministic (a seeded RNG).

Only the standard library is used, so this runs under any Python >= 3.11.

    python bench/generate.py OUT_DIR 1000
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
from pathlib import Path

# ------------------------------------------------------------------ shared files

COMMON_COMPOSE = """\
# Defaults every stack extends (logging, restart policy, labels).
services:
  logging-defaults:
    image: busybox:1.36
    restart: unless-stopped
    logging:
      driver: json-file
      options:
        max-size: "10m"
        max-file: "3"
    labels:
      com.example.team: platform
  socket-client:
    image: docker:27-cli
    environment:
      DOCKER_HOST: unix:///var/run/docker.sock
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
"""

SHARED_DIND = """\
# A Docker-in-Docker daemon shared by the CI stacks (included, not copied).
services:
  shared-dind:
    image: docker:25.0.5-dind
    privileged: true
    environment:
      DOCKER_TLS_CERTDIR: ""
    volumes:
      - shared-dind-run:/var/run
      - shared-dind-data:/var/lib/docker

volumes:
  shared-dind-run:
  shared-dind-data:
"""

SHARED_RUNNER_DOCKERFILE = """\
FROM docker:27-cli
ARG RUNNER_UID=1001
ARG DOCKER_GID=2375
# the runner joins the daemon's socket group
RUN addgroup -g ${DOCKER_GID} docker 2>/dev/null || true && \\
    addgroup -g ${RUNNER_UID} runner && \\
    adduser -D -u ${RUNNER_UID} -G runner runner && \\
    adduser runner docker
USER runner
WORKDIR /home/runner
"""

SHARED_PYTHON_DOCKERFILE = """\
FROM python:3.12-slim AS build
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir -r requirements.txt -w /wheels

FROM python:3.12-slim
RUN groupadd --gid 1000 app && useradd --uid 1000 --gid app --create-home app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER app
CMD ["python", "-m", "app"]
"""

# ------------------------------------------------------------------ per-stack templates


def dind_ci(i: int, rnd: random.Random) -> dict[str, str]:
    gid = rnd.choice([2375, 2375, 999, 998])
    user = rnd.choice(['    user: "runner:runner"\n', '    user: "1001"\n', ""])
    ro = rnd.choice([":ro", ""])
    return {
        "compose.yaml": f"""\
# CI stack {i}: a DinD daemon and a runner sharing its socket through a volume.
name: ci-{i:05d}
services:
  dind:
    image: docker:27-dind
    privileged: true
    environment:
      DOCKER_TLS_CERTDIR: ""
    volumes:
      - dind-run-{i}:/var/run
      - dind-data-{i}:/var/lib/docker

  runner:
    build:
      context: ./runner
      args:
        DOCKER_GID: "{gid}"
{user}    volumes:
      - dind-run-{i}:/var/run{ro}
    environment:
      DOCKER_HOST: unix:///var/run/docker.sock
    depends_on:
      - dind

  cleaner:
    extends:
      file: ../../shared/common.compose.yaml
      service: logging-defaults
    image: docker:27-cli
    environment:
      DOCKER_HOST: tcp://dind:2375
    command: ["sh", "-c", "while sleep 3600; do docker system prune -f; done"]

volumes:
  dind-run-{i}:
  dind-data-{i}:
""",
        "runner/Dockerfile": f"""\
FROM alpine:3.20
ARG DOCKER_GID=2375
RUN apk add --no-cache docker-cli git bash curl
RUN addgroup -g ${{DOCKER_GID}} docker && \\
    addgroup -g 1001 runner && \\
    adduser -D -u 1001 -G runner runner && \\
    adduser runner docker
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
USER runner
WORKDIR /home/runner
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
# stack {i}
""",
    }


def host_socket_tools(i: int, rnd: random.Random) -> dict[str, str]:
    ro = rnd.choice([":ro", ""])
    files = {
        "compose.yaml": f"""\
# Tools stack {i}: reverse proxy, dashboard and updater on the host's socket.
x-defaults: &defaults
  restart: unless-stopped
  logging:
    driver: json-file

services:
  proxy:
    <<: *defaults
    image: traefik:v3.1
    command:
      - --providers.docker=true
      - --providers.docker.exposedbydefault=false
    ports:
      - "{8000 + i % 1000}:80"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock{ro}

  dashboard:
    <<: *defaults
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - portainer-{i}:/data

  updater:
    extends:
      file: ../../shared/common.compose.yaml
      service: socket-client
    image: containrrr/watchtower:1.7.1
    user: "${{UPDATER_UID:-1000}}"
    group_add:
      - "${{DOCKER_GID:-999}}"

  metrics:
    <<: *defaults
    build: ./exporter

volumes:
  portainer-{i}:
""",
        ".env": f"DOCKER_GID={rnd.choice([999, 998, 996])}\nUPDATER_UID=1000\n",
        "exporter/Dockerfile": f"""\
FROM golang:1.22-alpine AS build
WORKDIR /src
COPY . .
RUN go build -o /exporter ./cmd/exporter

FROM alpine:3.20
RUN addgroup -S exporter && adduser -S -G exporter exporter
COPY --from=build /exporter /usr/local/bin/exporter
USER exporter
# stack {i}
""",
    }
    if rnd.random() < 0.5:
        files["compose.override.yaml"] = """\
services:
  proxy:
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  dashboard:
    ports:
      - "9443:9443"
"""
    return files


def jenkins(i: int, rnd: random.Random) -> dict[str, str]:
    gid = rnd.choice([999, 998, 131])
    return {
        "docker-compose.yml": f"""\
version: "3.8"
services:
  jenkins:
    build:
      context: .
      dockerfile: jenkins.Dockerfile
    ports:
      - "8080:8080"
      - "50000:50000"
    volumes:
      - jenkins-home-{i}:/var/jenkins_home
      - /var/run/docker.sock:/var/run/docker.sock
    group_add:
      - "{gid}"

  agent:
    build:
      context: ../../shared/images/runner
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
    environment:
      JENKINS_URL: http://jenkins:8080

volumes:
  jenkins-home-{i}:
""",
        "jenkins.Dockerfile": f"""\
FROM jenkins/jenkins:2.462.1-lts-jdk17
USER root
RUN apt-get update && apt-get install -y --no-install-recommends docker.io \\
    && rm -rf /var/lib/apt/lists/*
RUN groupadd -f -g {gid} docker && usermod -aG docker jenkins
USER jenkins
# stack {i}
""",
    }


def webapp(i: int, rnd: random.Random) -> dict[str, str]:
    replicas = rnd.randint(1, 4)
    return {
        "compose.yaml": f"""\
# Web application {i}: no Docker socket anywhere (most stacks look like this).
x-app: &app
  build:
    context: ../../shared/images/python-app
  environment:
    DATABASE_URL: postgres://app:${{DB_PASSWORD:-app}}@db:5432/app
    REDIS_URL: redis://cache:6379/0
  depends_on:
    - db
    - cache

services:
  web:
    <<: *app
    command: ["gunicorn", "app.wsgi", "-b", "0.0.0.0:8000", "-w", "{replicas}"]
    ports:
      - "{10000 + i % 5000}:8000"
  worker:
    <<: *app
    command: ["celery", "-A", "app", "worker"]
  frontend:
    build: ./frontend
    ports:
      - "{20000 + i % 5000}:80"
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_PASSWORD: ${{DB_PASSWORD:-app}}
    volumes:
      - db-{i}:/var/lib/postgresql/data
  cache:
    image: redis:7-alpine

volumes:
  db-{i}:
""",
        "frontend/Dockerfile": f"""\
FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM nginx:1.27-alpine
COPY --from=build /app/dist /usr/share/nginx/html
# app {i}
""",
    }


def incident(i: int, rnd: random.Random) -> dict[str, str]:
    return {
        "docker-compose.dind.yml": f"""\
# Docker-in-Docker MCP stack {i} (the incident's shape).
name: mcp-{i:05d}

include:
  - ../../shared/dind.compose.yaml

services:
  mcp-orchestrator:
    image: docker:25.0.5-dind
    privileged: true
    environment:
      DOCKER_TLS_CERTDIR: ""
    volumes:
      - mcp-docker-socket:/var/run
      - mcp-orchestrator-data:/var/lib/docker

  mcp-manager:
    build:
      context: ./orchestrator/manager
    depends_on:
      - mcp-orchestrator
    ports:
      - "18081:8081"
    volumes:
      - mcp-docker-socket:/var/run:ro
    restart: unless-stopped

volumes:
  mcp-docker-socket:
  mcp-orchestrator-data:
""",
        "orchestrator/manager/Dockerfile": f"""\
FROM python:3.12-alpine

RUN pip install --no-cache-dir docker==7.1.0 fastapi==0.115.0 uvicorn==0.30.6

# Security: create non-root user and docker group for socket access
RUN addgroup -g 2375 docker && \\
    addgroup -g 1001 mcpmanager && \\
    adduser -D -u 1001 -G mcpmanager mcpmanager && \\
    adduser mcpmanager docker

WORKDIR /app
COPY app.py .
USER mcpmanager
EXPOSE 8081
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8081"]
# stack {i}
""",
    }


TEMPLATES = (dind_ci, host_socket_tools, jenkins, webapp, webapp, incident)

SHARED = {
    "shared/common.compose.yaml": COMMON_COMPOSE,
    "shared/dind.compose.yaml": SHARED_DIND,
    "shared/images/runner/Dockerfile": SHARED_RUNNER_DOCKERFILE,
    "shared/images/python-app/Dockerfile": SHARED_PYTHON_DOCKERFILE,
}


def is_lint_target(name: str) -> bool:
    """Files that count towards the tree's size: compose files and Dockerfiles (not `.env`)."""
    return name != ".env"


def generate(root: Path, n_files: int, seed: int = 0, git: bool = True) -> list[Path]:
    """Write a tree of about ``n_files`` compose files and Dockerfiles under ``root``.

    Returns the files written that a linter reads (compose files and Dockerfiles), relative to
    ``root``. The tree is a git work tree when ``git`` is true and git is installed (pre-commit
    and CI run inside one).
    """
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for rel, text in SHARED.items():
        _write(root / rel, text)
        written.append(Path(rel))
    i = 0
    while len(written) < n_files:
        template = TEMPLATES[i % len(TEMPLATES)]
        folder = Path("stacks") / f"g{i // 100:03d}" / f"{template.__name__}-{i:05d}"
        files = template(i, rnd)
        # `../../shared` in the templates is relative to stacks/<group>/<stack>: one more level
        for rel, text in files.items():
            _write(root / folder / rel, text.replace("../../shared", "../../../shared"))
            if is_lint_target(Path(rel).name):
                written.append(folder / rel)
        if template is dind_ci:
            _write(root / folder / "runner" / "entrypoint.sh", '#!/bin/sh\nexec "$@"\n')
        i += 1
    if git:
        # no git: discovery then walks the folders only
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["git", "init", "-q", str(root)], check=True, capture_output=True, timeout=30
            )
    return written


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: generate.py OUT_DIR N_FILES")
    out = generate(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"wrote {len(out)} compose files and Dockerfiles under {sys.argv[1]}")
