#!/usr/bin/env bash
# Set up KineScore on an NVIDIA Jetson (JetPack 6.x: Ubuntu 22.04, Python 3.10, CUDA 12,
# TensorRT 8.6 or 10.x) and build the TensorRT engine of the bundled model.
#
# Usage (from the repository root, as a user with sudo):
#   bash packaging/jetson_setup.sh [--model PATH] [--window N] [--no-kinect] [--no-pose]
#
# What it does (see docs/jetson.md for each step and how to check it):
#   1. checks the board: aarch64, JetPack's L4T release, Python 3.10, TensorRT importable;
#   2. installs system packages (Qt's libraries, build tools for pyk4a, the K4A SDK headers
#      when the Kinect is wanted);
#   3. creates .venv WITH --system-site-packages so JetPack's own tensorrt (and torch, if
#      installed from NVIDIA's wheel) are used: never pip-install torch or tensorrt here;
#   4. installs KineScore, mediapipe==0.10.18 (the last aarch64 wheel that supports Python
#      3.10 with the legacy Pose solution) and pyk4a built from source against the SDK;
#   5. exports the model to ONNX and builds + caches the FP16 TensorRT engine beside it, then
#      scores a synthetic attempt on TensorRT to prove the chain works.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=""
WINDOW=""
KINECT=1
POSE=1
while (($#)); do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --no-kinect) KINECT=0; shift ;;
    --no-pose) POSE=0; shift ;;
    -h|--help) sed -n 2,20p "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "error: $*" >&2; exit 1; }
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"

# ---- 1. the board
[[ $(uname -m) == aarch64 ]] || fail "this script is for a Jetson (aarch64); on a PC use packaging/setup.sh"
if [[ -f /etc/nv_tegra_release ]]; then
  echo "L4T: $(head -n1 /etc/nv_tegra_release)"
else
  echo "warning: /etc/nv_tegra_release not found: is this a Jetson with JetPack?" >&2
fi
PY=${PYTHON:-python3}
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $pyver == 3.10 ]] || fail "Python $pyver found; KineScore on Jetson needs JetPack 6 (Python 3.10)"
"$PY" -c 'import tensorrt' 2>/dev/null || fail "TensorRT's Python module is missing: sudo apt-get install nvidia-jetpack (or python3-libnvinfer)"
echo "TensorRT $("$PY" -c 'import tensorrt; print(tensorrt.__version__)')"

# ---- 2. system packages
pkgs=(python3-venv python3-dev build-essential cmake pkg-config libegl1 libgl1 libglib2.0-0
  libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1 libx11-xcb1 fonts-noto-cjk)
((KINECT)) && pkgs+=(libusb-1.0-0-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- 3. virtual environment that sees JetPack's packages
[[ -x .venv/bin/python ]] || "$PY" -m venv --system-site-packages .venv
VPY=.venv/bin/python
$VPY -m pip install -q --upgrade pip
if ! $VPY -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  fail "no CUDA-enabled torch: install NVIDIA's PyTorch wheel for JetPack 6 first (docs/jetson.md, step 3); pip's torch for aarch64 has no CUDA"
fi
echo "torch $($VPY -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))')"

# ---- 4. KineScore and the device extras
# --no-deps for torch: keep JetPack's CUDA build, pip must not replace it.
$VPY -m pip install -q "numpy>=1.24,<2" "scipy>=1.10" "PySide6-Essentials>=6.6" "pyqtgraph>=0.13.7" \
  "onnx>=1.15" "onnxruntime>=1.17" "platformdirs>=3" "openpyxl>=3.1" "tqdm>=4.60" \
  "matplotlib>=3.7" "PyYAML>=6" "opencv-contrib-python>=4.8,<5"
$VPY -m pip install -q --no-deps -e .
if ((POSE)); then
  $VPY -m pip install -q "mediapipe==0.10.18"
fi
if ((KINECT)); then
  if [[ ! -f /usr/include/k4a/k4a.h ]]; then
    echo "warning: Azure Kinect SDK headers not found (/usr/include/k4a/k4a.h): install" \
         "libk4a1.4-dev from Microsoft's arm64 packages (docs/jetson.md, step 4), then rerun;" \
         "skipping pyk4a" >&2
  else
    # pyk4a compiles its extension against the installed SDK (no prebuilt aarch64 wheel)
    $VPY -m pip install -q --no-binary pyk4a "pyk4a>=1.5"
  fi
fi

# ---- 5. ONNX export + TensorRT engine for the model
if [[ -z $MODEL ]]; then
  MODEL=$(ls resources/models/*.pt 2>/dev/null | head -n1 || true)
fi
if [[ -z $MODEL ]]; then
  echo "no model in resources/models: skipping the engine build (run this script again with" \
       "--model PATH once a model is there)"
  exit 0
fi
args=(--checkpoint "$MODEL" --format tensorrt)
[[ -n $WINDOW ]] && args+=(--window "$WINDOW")
.venv/bin/kinescore-engine export "${args[@]}"
echo "KineScore is set up in $(pwd)/.venv; start it with .venv/bin/kinescore"
