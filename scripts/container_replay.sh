#!/usr/bin/env bash
# Replays the Dockerfile's install into a fresh directory (Docker cannot run here), measures the
# runtime's size and proves the proxy starts from it.
#
#   bash scripts/container_replay.sh [--work DIR] [--keep] [--rebuild-pillow]
#
#   --work DIR         where to build (default: a new /tmp/headroom-replay.XXXXXX)
#   --keep             keep the work directory (default: removed at the end)
#   --rebuild-pillow   build pillow-simd even when scripts/install.sh's cached wheel exists
#
# Environment: PYTHON (default python3; the image uses 3.11), SIMD (avx2|sse4; default: what this
# CPU has), MAX_MB (size budget for venv + models, default 400).
#
# KEEP IN SYNC with the Dockerfile: the steps below mirror its stages one to one (same versions,
# flags, packages and layout: builder -> wheels; runtime venv without pip <- those wheels +
# rapidocr --no-deps; models copied next to it; HEADROOM_MODELS_DIR pointing at them; the same
# ENTRYPOINT and HEALTHCHECK commands). Change one, change the other.
#
# What is measured is what the runtime stage adds on top of the python base image: the virtual
# environment plus models. The image itself also holds python:3.11-slim-bookworm (~125 MB) and
# the few shared libraries apt installs (~5 MB).
set -euo pipefail

# --- Dockerfile ARGs -------------------------------------------------------------------------------
RUNTIME_PACKAGES=(headroom-edge pillow-simd rapidocr)
MAX_MB="${MAX_MB:-400}"

WORK=""
KEEP=0
REBUILD_PILLOW=0
while [ $# -gt 0 ]; do
    case "$1" in
        --work) WORK="$2"; shift ;;
        --keep) KEEP=1 ;;
        --rebuild-pillow) REBUILD_PILLOW=1 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "container_replay: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
LOCKFILE=("$PYTHON" "$ROOT/scripts/lockfile.py")                                  # scripts/lockfile.py
PILLOW_SIMD_VERSION="$("${LOCKFILE[@]}" version pillow-simd)"
RAPIDOCR_VERSION="$("${LOCKFILE[@]}" version rapidocr)"
[ -n "$WORK" ] || WORK="$(mktemp -d /tmp/headroom-replay.XXXXXX)"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1   # builder ENV
# Like a fresh image: no pip.conf of this machine (its extra indexes, find-links, ...).
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL 2>/dev/null || true

PROXY_PID=""
cleanup() {
    if [ -n "$PROXY_PID" ] && kill -0 "$PROXY_PID" 2>/dev/null; then
        kill "$PROXY_PID" 2>/dev/null || true
        wait "$PROXY_PID" 2>/dev/null || true
    fi
    if [ "$KEEP" -eq 0 ]; then rm -rf "$WORK"; else echo "[replay] kept $WORK"; fi
}
trap cleanup EXIT

say() { echo "[replay] $*"; }
die() { echo "[replay] FAIL: $*" >&2; exit 1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || say "note: $("$PYTHON" -V 2>&1) here, python 3.11 in the image (sizes differ slightly)"

# --- stage "builder" -------------------------------------------------------------------------------
say "builder: venv, sources (without models/), wheels -> $WORK/wheels"
"$PYTHON" -m venv "$WORK/builder"
BPIP=("$WORK/builder/bin/python" -m pip)
mkdir -p "$WORK/src" "$WORK/wheels"
cp "$ROOT/pyproject.toml" "$ROOT/setup.py" "$ROOT/README.md" "$WORK/src/"   # COPY pyproject.toml setup.py README.md
cp -r "$ROOT/headroom_edge" "$WORK/src/headroom_edge"                          # COPY headroom_edge
find "$WORK/src" \( -name __pycache__ -o -name '*.pyc' -o -name '.*' \) -prune -exec rm -rf {} +  # .dockerignore

# pillow-simd: same flags as the Dockerfile and scripts/install.sh; that script's cached wheel is
# reused when it exists (it is built with exactly these flags).
case "${SIMD:-auto}" in
    auto) if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then SIMD=avx2; else SIMD=sse4; fi ;;
    avx2|sse4) ;;
    *) die "SIMD must be avx2 or sse4" ;;
esac
case "$SIMD" in avx2) SIMD_CC="cc -mavx2" ;; sse4) SIMD_CC="cc" ;; esac
PYTAG="$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
BACKPORTS_KEY="$(sha256sum "$ROOT/scripts/pillow_backports.py" | cut -c1-12)"   # as scripts/install.sh
CACHE="$ROOT/.build/wheels/pillow-simd-$PILLOW_SIMD_VERSION-$PYTAG-$SIMD-lcms-bp$BACKPORTS_KEY"
cached="$(compgen -G "$CACHE/pillow_simd-$PILLOW_SIMD_VERSION-*.whl" | head -n 1 || true)"
if [ -n "$cached" ] && [ "$REBUILD_PILLOW" -eq 0 ]; then
    say "pillow-simd: reusing ${cached#"$ROOT"/}"
    cp "$cached" "$WORK/wheels/"
else
    say "pillow-simd: building from source (CC='$SIMD_CC'; a few minutes)"
    t0=$SECONDS
    src="$("${BPIP[0]}" "$ROOT/scripts/pillow_backports.py" --simd-version "$PILLOW_SIMD_VERSION" \
        --out "$WORK/backports")"                                                # the backports step
    CC="$SIMD_CC" "${BPIP[@]}" wheel -q --no-deps \
        --config-settings jpeg=enable --config-settings zlib=enable --config-settings webp=enable --config-settings lcms=enable \
        -w "$WORK/wheels" "$src"
    say "pillow-simd: built in $((SECONDS - t0))s; cached in ${CACHE#"$ROOT"/}"
    mkdir -p "$CACHE" && cp "$WORK"/wheels/pillow_simd-*.whl "$CACHE/"
fi
"${LOCKFILE[@]}" select > "$WORK/wheels/runtime.txt"                             # lockfile.py select
"${BPIP[@]}" wheel -q --no-deps -w "$WORK/wheels" -r "$WORK/wheels/runtime.txt"
"${BPIP[@]}" wheel -q --no-deps -w "$WORK/wheels" "$WORK/src"                    # pip wheel --no-deps -w /wheels .
"${BPIP[@]}" download -q --no-deps -d "$WORK/wheels" "rapidocr==$RAPIDOCR_VERSION"
mkdir -p "$WORK/context/models"                                                  # COPY . /context; mkdir -p
if [ -d "$ROOT/models" ]; then
    cp -r "$ROOT/models/." "$WORK/context/models/"
    find "$WORK/context/models" -name '.*' -prune -exec rm -rf {} +
fi

# --- stage "runtime" -------------------------------------------------------------------------------
APP="$WORK/opt/headroom-edge"                                                    # ARG APP=/opt/headroom-edge
say "runtime: venv without pip at ${APP#"$WORK"/}/venv, installed from the wheels only"
mkdir -p "$APP"
"$PYTHON" -m venv --without-pip "$APP/venv"
"${BPIP[@]}" --python "$APP/venv/bin/python" install -q \
    --no-cache-dir --no-index --no-deps --find-links "$WORK/wheels" \
    -r "$WORK/wheels/runtime.txt" "${RUNTIME_PACKAGES[@]}"
"$APP/venv/bin/python" -m headroom_edge.imaging.engine --require-simd
cp -r "$WORK/context/models" "$APP/models"                                       # COPY --from=builder /context/models
export HEADROOM_MODELS_DIR="$APP/models"                                         # ENV HEADROOM_MODELS_DIR

# --- checks that hold for the image ----------------------------------------------------------------
RPY="$APP/venv/bin/python"
cd "$WORK"   # never import the checkout by accident
where="$("$RPY" -c 'import headroom_edge, os; print(os.path.dirname(headroom_edge.__file__))')"
case "$where" in "$APP/venv/"*) ;; *) die "headroom_edge imported from $where, not the runtime venv" ;; esac
forbidden="$("${BPIP[@]}" --python "$RPY" list --format=freeze 2>/dev/null \
    | grep -iE '^(torch|transformers|optimum|pytest|opencv[a-z-]*|pillow)==' || true)"
[ -z "$forbidden" ] || die "runtime holds packages it must not: $forbidden"

# --- size -----------------------------------------------------------------------------------------
venv_b="$(du -sb "$APP/venv" | cut -f1)"
models_b="$(du -sb "$APP/models" | cut -f1)"
total_b=$((venv_b + models_b))
say "size: venv $(mb "$venv_b") MB + models $(mb "$models_b") MB = $(mb "$total_b") MB (budget $MAX_MB MB)"
say "biggest contributors:"
SITE="$("$RPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# awk, not head: head exits early and the SIGPIPE would fail the pipeline under pipefail
du -sb "$SITE"/* 2>/dev/null | sort -rn | awk 'NR <= 12' | while read -r bytes path; do
    printf '[replay]   %8s MB  %s\n' "$(mb "$bytes")" "${path#"$SITE"/}"
done
size_ok=1
[ "$total_b" -le $((MAX_MB * 1048576)) ] || size_ok=0

# --- smoke: the ENTRYPOINT on loopback, the HEALTHCHECK command, one compress ---------------------
PORT="$("$RPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
say "smoke: headroom-edge proxy --host 127.0.0.1 --port $PORT (from the runtime venv)"
"$APP/venv/bin/headroom-edge" proxy --host 127.0.0.1 --port "$PORT" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
t0=$SECONDS
healthy=0
while [ $((SECONDS - t0)) -lt 60 ]; do
    kill -0 "$PROXY_PID" 2>/dev/null || { tail -n 20 "$WORK/proxy.log" >&2; die "proxy exited"; }
    if "$RPY" -c "import sys, urllib.request as u; r = u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:$PORT/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)" 2>/dev/null; then
        healthy=1; break
    fi
    sleep 0.2
done
[ "$healthy" -eq 1 ] || { tail -n 20 "$WORK/proxy.log" >&2; die "GET /healthz never answered 200"; }
say "smoke: GET /healthz -> 200 after $((SECONDS - t0))s: $("$RPY" -c "import urllib.request as u; print(u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:$PORT/healthz').read().decode())")"
"$APP/venv/bin/headroom-edge" compress "$ROOT/examples/request.json" -o "$WORK/compressed.json" 2>"$WORK/compress.txt" \
    || { cat "$WORK/compress.txt" >&2; die "headroom-edge compress failed"; }
sed 's/^/[replay]   /' "$WORK/compress.txt"
before="$(wc -c <"$ROOT/examples/request.json")"; after="$(wc -c <"$WORK/compressed.json")"
say "smoke: compress examples/request.json: $before -> $after bytes"
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""
say "smoke: proxy stopped"

if [ "$size_ok" -eq 1 ]; then
    say "PASS: runtime $(mb "$total_b") MB <= $MAX_MB MB; proxy started, healthy, compress ran"
else
    say "FAIL: runtime $(mb "$total_b") MB > $MAX_MB MB"
    exit 1
fi
