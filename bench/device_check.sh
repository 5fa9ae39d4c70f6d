#!/usr/bin/env bash
# One call on an idle machine with >= 16 cores and a CUDA GPU; about 7 minutes, under 8 by its timeouts.
#
#   bash bench/device_check.sh            # from the repository root; results under $OUT (default bench-out/device)
#   QUICK=1 bash bench/device_check.sh    # the same steps in seconds (smoke test of this script, CPU only)
#
# At the same time, on disjoint cores:
#   cores 0..N-3  the time-to-accuracy bench on the CPU, 2 cores per job (taskset by the bench), budgets
#                 30 s and 150 s, 4 models x 3 seeds, one queue (longest jobs first, 7 jobs at once on 16 cores)
#   cores N-2,N-1 the GPU: pytest tests/test_train.py (its CUDA test and the CLI on cuda), then the bench
#                 on cuda (15 s budget, 3 seeds, cnn, cnn_v1, keras: time to 93% and 94%)
# Needs Fashion-MNIST: Debian's /usr/share/datasets/fashion-mnist, $FMNIST_DATA_DIR, or data/fashion-mnist here.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-out/device}
PY=${PYTHON:-python}
QUICK=${QUICK:-}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
[ -z "${FMNIST_DATA_DIR:-}" ] && [ -d data/fashion-mnist ] && export FMNIST_DATA_DIR="$PWD/data/fashion-mnist"
T0=$(date +%s)
log() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$OUT/device_check.log"; }

{ nproc; "$PY" -c "import torch, platform; print(torch.__version__, platform.processor(), 'cuda', torch.cuda.is_available())"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-200; } > "$OUT/machine.txt" 2>&1
"$PY" -c "from fmnist_core.fashion.dataset import load_fashion_mnist; load_fashion_mnist('cpu')" 2> "$OUT/dataset_error.txt" \
  || { log "no dataset: $(tail -1 "$OUT/dataset_error.txt")"; exit 2; }

N=$(nproc)
if [ -n "$QUICK" ]; then
  CPU_ARGS=(--quick --threads 1 --parallel 2); GPU=""
  CPU_CORES="0-$(( N > 1 ? N - 1 : 0 ))"
else
  CPU_ARGS=(--budget 30,150 --seeds 3 --threads 2 --parallel 7)
  CPU_CORES="0-$(( N - 3 ))"; GPU_CORES="$(( N - 2 ))-$(( N - 1 ))"
  GPU=$("$PY" -c "import torch; print(int(torch.cuda.is_available()))")
fi

log "cpu bench on cores $CPU_CORES: ${CPU_ARGS[*]}"
( taskset -c "$CPU_CORES" timeout 455 "$PY" bench/time_to_accuracy.py "${CPU_ARGS[@]}" --out "$OUT/cpu" \
    --reference "$OUT/time_to_accuracy.json" > "$OUT/cpu_bench.log" 2>&1
  echo $? > "$OUT/cpu_bench.rc" ) &
CPU_PID=$!

if [ "$GPU" = "1" ]; then
  log "gpu on cores $GPU_CORES: pytest tests/test_train.py, then the cuda bench"
  ( taskset -c "$GPU_CORES" env FMNIST_DEVICE=cuda timeout 120 "$PY" -m pytest -q -p no:cacheprovider \
      tests/test_train.py > "$OUT/pytest_train_cuda.log" 2>&1
    echo $? > "$OUT/pytest_train_cuda.rc"
    taskset -c "$GPU_CORES" timeout 330 "$PY" bench/time_to_accuracy.py --device cuda --budget 15 --seeds 3 \
      --threads 2 --models cnn,cnn_v1,keras --out "$OUT/cuda" > "$OUT/cuda_bench.log" 2>&1
    echo $? > "$OUT/cuda_bench.rc" ) &
  GPU_PID=$!
  wait "$GPU_PID"
  log "gpu done: pytest rc $(cat "$OUT/pytest_train_cuda.rc"), cuda bench rc $(cat "$OUT/cuda_bench.rc")"
  tail -3 "$OUT/pytest_train_cuda.log" | tee -a "$OUT/device_check.log"
  grep -A8 "^medians" "$OUT/cuda_bench.log" | tee -a "$OUT/device_check.log"
elif [ -z "$QUICK" ]; then
  log "no CUDA here: GPU part skipped"
fi
wait "$CPU_PID"
log "cpu bench done: rc $(cat "$OUT/cpu_bench.rc")"
grep -A8 "^medians" "$OUT/cpu_bench.log" | tee -a "$OUT/device_check.log"
log "results in $OUT (cpu/, cuda/, time_to_accuracy.json: copy it to assets/ for the training page)"
