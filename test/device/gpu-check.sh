#!/usr/bin/env bash
# Device check for the nvidia-smi adapters, on a machine with an NVIDIA GPU and the real nvidia-smi.
#   test/device/gpu-check.sh [GPU index, default 0]        (NVIDIA_SMI=/path/to/nvidia-smi to override)
# 1. raw nvidia-smi: list, driver, and the adapter's exact query (so the CSV format is on record);
# 2. the suite's adapters (dist/ after `npm ci && npm run build`, or the sources through tsx):
#    Sensor query → readings; DVFS actuator: lock GPU to a lower clock, observe, reset on close.
# Locking clocks needs root (and CAP_SYS_ADMIN in a container); without it the check says
# "LOCK NOT PERMITTED" and still passes. Exit 0: query worked (and lock/reset did not fail).
set -u
cd "$(dirname "$0")/../.." || exit 2
GPU="${1:-0}"
SMI="${NVIDIA_SMI:-nvidia-smi}"
export NVIDIA_SMI="$SMI"

echo "== gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) as uid $(id -u)"
if ! command -v "$SMI" >/dev/null 2>&1; then
  echo "FAIL: nvidia-smi not found ($SMI)"; exit 2
fi
echo "== nvidia-smi -L"
timeout 30 "$SMI" -L; echo "(exit $?)"
echo "== driver / CUDA"
timeout 30 "$SMI" --query-gpu=driver_version,name,clocks.max.sm,power.limit --format=csv; echo "(exit $?)"
echo "== raw query, the adapter's field list (csv,noheader,nounits)"
timeout 30 "$SMI" --query-gpu=index,uuid,power.draw,clocks.sm,clocks.max.sm,temperature.gpu,temperature.memory,utilization.gpu,clocks_event_reasons.active,name --format=csv,noheader,nounits
echo "(exit $?)"

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP adapters: Node.js is not installed here (raw nvidia-smi output above is all there is)"
  exit 0
fi
echo "== adapters (node $(node --version))"
timeout 180 node test/device/gpu-check.cjs "$GPU"
rc=$?
[ $rc -eq 124 ] && echo "FAIL: adapter check timed out; resetting clocks of GPU $GPU" && timeout 30 "$SMI" -i "$GPU" -rgc
echo "== gpu-check exit $rc"
exit $rc
