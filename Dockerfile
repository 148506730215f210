# error-fix in a slim image: the `error-fix` command with its tools (ruff, mypy, bandit,
# pip-audit, pytest, coverage) from the same pinned, hashed requirements the action installs.
#
#   docker build -t error-fix .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/repo" error-fix \
#       score --repo /repo --patch /repo/fix.patch
#
# The project's tests run with the image's Python, which has pytest but not your project's
# dependencies: add them in an image built FROM this one, or use the composite action, which runs
# them in your job's own environment. publish, queue, status and monitor run no project code.
# Not built or run in this repository's CI (no Docker engine there).
FROM python:3.12-slim-bookworm

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/error-fix/bin:$PATH

WORKDIR /src
COPY requirements/action.txt requirements/action.txt
RUN python -m venv /opt/error-fix \
    && /opt/error-fix/bin/pip install --require-hashes --only-binary=:all: \
        -r requirements/action.txt
COPY pyproject.toml README.md ./
COPY src/error_fix src/error_fix
RUN /opt/error-fix/bin/pip install --no-deps --no-build-isolation --no-index . \
    && rm -rf /src

# A mounted checkout may belong to another user (hence safe.directory above); HOME is writable
# whatever --user is given.
ENV HOME=/tmp
WORKDIR /repo
ENTRYPOINT ["error-fix"]
CMD ["--help"]
