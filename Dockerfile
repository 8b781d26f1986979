# syntax=docker/dockerfile:1
#
# headroom-edge reverse proxy: a multi-stage build with a slim runtime.
#
#   docker build -t headroom-edge .
#   docker run --rm -p 8787:8787 headroom-edge                       # then OPENAI_BASE_URL=http://localhost:8787/v1
#   docker run --rm -p 8787:8787 headroom-edge --fetch-urls          # extra flags are appended to the ENTRYPOINT
#   docker build --build-arg SIMD=sse4 -t headroom-edge .            # for hosts without AVX2
#
# KEEP IN SYNC with scripts/container_replay.sh: Docker cannot run on the development machines, so
# that script replays exactly these install steps (same versions, flags, packages and layout) into
# a fresh virtual environment to measure the runtime's size and prove the proxy starts from it.
# Change a version, a package, a flag or a path here and change it there too (and vice versa).
#
# Debian package names below are bookworm's; the base image is pinned to bookworm so they stay
# valid (trixie renamed some of them, e.g. libpng16-16t64).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
# builder: compiles pillow-simd and collects every wheel the runtime installs (no compiler,
# headers or build caches reach the runtime image).
FROM ${PYTHON_IMAGE} AS builder

# Every version comes from requirements.lock, read by scripts/lockfile.py (its one reader), as
# in scripts/install.sh and scripts/container_replay.sh.
# avx2: CC="cc -mavx2" as pillow-simd recommends (x86-64 servers since 2013); sse4: plain cc
# (pillow-simd adds -msse4 itself). An avx2 image needs an AVX2 CPU at run time.
ARG SIMD=avx2

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential libjpeg-dev zlib1g-dev libpng-dev libwebp-dev libfreetype-dev liblcms2-dev \
 && rm -rf /var/lib/apt/lists/*

# pillow-simd from source, with Pillow's later security fixes backported by the same script the
# install script uses (it downloads and checksums the sdists and fails on any mismatch); -C
# X=enable makes the build fail instead of silently dropping a codec. Its version is the lock's.
WORKDIR /src
COPY requirements.lock ./
COPY scripts/lockfile.py scripts/pillow_backports.py ./scripts/

RUN PILLOW_SIMD_VERSION="$(python scripts/lockfile.py version pillow-simd)" \
 && case "$SIMD" in \
        avx2) export CC="cc -mavx2" ;; \
        sse4) export CC="cc" ;; \
        *) echo "SIMD must be avx2 or sse4, got $SIMD" >&2; exit 2 ;; \
    esac \
 && src="$(python scripts/pillow_backports.py --simd-version "${PILLOW_SIMD_VERSION}" --out /build/backports)" \
 && pip wheel --no-deps \
        --config-settings jpeg=enable --config-settings zlib=enable --config-settings webp=enable --config-settings lcms=enable \
        -w /wheels "$src" \
 && rm -rf /build/backports

# The package and its runtime dependencies only (no test/sdk/train extras, so no torch). The
# wheel is built without models/ (setup.py would otherwise put them under share/): the runtime
# stage copies them once, as their own layer.
COPY pyproject.toml setup.py README.md ./
COPY headroom_edge ./headroom_edge
RUN python scripts/lockfile.py select > /wheels/runtime.txt \
 && pip wheel --no-deps -w /wheels -r /wheels/runtime.txt \
 && pip wheel --no-deps -w /wheels . \
 && pip download --no-deps -d /wheels "rapidocr==$(python scripts/lockfile.py version rapidocr)"

# The bundled models (may be absent or empty: the proxy then runs on the question rules).
COPY . /context
RUN mkdir -p /context/models

# ---------------------------------------------------------------------------------------------
# runtime: python + the shared libraries pillow-simd links against + one virtual environment.
FROM ${PYTHON_IMAGE} AS runtime

ARG APP=/opt/headroom-edge

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libjpeg62-turbo zlib1g libpng16-16 libwebp7 libwebpdemux2 libwebpmux3 libfreetype6 liblcms2-2 \
 && rm -rf /var/lib/apt/lists/*

# The wheels are bind-mounted from the builder, never copied into a layer. The venv has no pip
# of its own (the base image's pip installs into it with --python): ~15 MB less, nothing to
# install packages with at run time.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv --without-pip ${APP}/venv \
 && python -m pip --python ${APP}/venv/bin/python install \
        --no-cache-dir --no-index --no-deps --find-links /wheels \
        -r /wheels/runtime.txt headroom-edge pillow-simd rapidocr \
 && ${APP}/venv/bin/python -m headroom_edge.imaging.engine --require-simd

COPY --from=builder /context/models ${APP}/models

RUN groupadd --system --gid 10001 headroom \
 && useradd --system --uid 10001 --gid headroom --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin headroom

# HEADROOM_HOST/HEADROOM_PORT are not set: the ENTRYPOINT's flags fix 0.0.0.0:8787 (flags win
# over the environment), which the HEALTHCHECK relies on. Every other flag has a HEADROOM_* twin.
ENV PATH=${APP}/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HEADROOM_MODELS_DIR=${APP}/models \
    HEADROOM_LOG_LEVEL=info \
    HEADROOM_IMAGE_OPTIMIZE=true \
    HEADROOM_OPENAI_BASE_URL=https://api.openai.com \
    HEADROOM_ANTHROPIC_BASE_URL=https://api.anthropic.com \
    HEADROOM_GOOGLE_BASE_URL=https://generativelanguage.googleapis.com \
    HEADROOM_MAX_BODY_BYTES=67108864 \
    HEADROOM_MAX_IMAGE_BYTES=33554432 \
    HEADROOM_REJECT_OVERSIZE=true \
    HEADROOM_FETCH_URLS=false

USER 10001:10001
WORKDIR ${APP}
EXPOSE 8787

# No curl in the image: python's urllib, with proxy variables ignored (ProxyHandler({})) so an
# HTTP_PROXY set for the upstream connections cannot swallow the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; r = u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:8787/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

ENTRYPOINT ["headroom-edge", "proxy", "--host", "0.0.0.0", "--port", "8787"]
