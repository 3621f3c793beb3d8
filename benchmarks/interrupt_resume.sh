#!/usr/bin/env bash
# Kill a molecular GraphCL pretraining run with SIGTERM mid-epoch, resume it with the command it prints,
# and compare its final weights with an uninterrupted run of the same command (CPU, one thread).
#   GRAPHCL_DATASET_MIRROR=... bash benchmarks/interrupt_resume.sh [WORKDIR]
set -euo pipefail
WORK=${1:-$(mktemp -d)}
PY=${PYTHON:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} GRAPHCL_NO_PROGRESS=1
mkdir -p "$WORK"
zcat "$GRAPHCL_DATASET_MIRROR/ZINC/zinc250k_smiles.txt.gz" | awk 'NR > 1 && NR <= 1201 {print $1}' > "$WORK/corpus.smi"
COMMON=(--corpus "$WORK/corpus.smi" --root "$WORK/data" --epochs 2 --batch-size 64 --hidden-channels 64
        --num-layers 3 --seed 11 --no-progress)
echo "== uninterrupted"
$PY -m graphcl pretrain-molecules "${COMMON[@]}" --out "$WORK/straight.pt"
echo "== interrupted: SIGTERM once the step-4 checkpoint exists (epoch 1 has 19 steps)"
rm -rf "$WORK/ckpt"
$PY -m graphcl pretrain-molecules "${COMMON[@]}" --checkpoint-dir "$WORK/ckpt" --checkpoint-steps 4 \
    --out "$WORK/resumed.pt" 2> "$WORK/interrupted.err" &
PID=$!
until [ -f "$WORK/ckpt/last.pt" ]; do sleep 0.2; done
kill -TERM "$PID"
set +e; wait "$PID"; CODE=$?; set -e
echo "exit code $CODE"; cat "$WORK/interrupted.err"
$PY -c "import torch; s = torch.load('$WORK/ckpt/last.pt', weights_only=False); print('checkpoint: epochs done', s['epoch'], 'steps into the next', s['step_in_epoch'], 'global step', s['global_step'])"
echo "== resumed"
$PY -m graphcl pretrain-molecules "${COMMON[@]}" --checkpoint-dir "$WORK/ckpt" --checkpoint-steps 4 --out "$WORK/resumed.pt"
$PY - "$WORK/straight.pt" "$WORK/resumed.pt" <<'PYEOF'
import sys, torch
a, b = (torch.load(p, weights_only=False) for p in sys.argv[1:])
diff = max(float((a["state_dict"][k].double() - b["state_dict"][k].double()).abs().max()) for k in a["state_dict"])
print("losses uninterrupted", [r["loss"] for r in a["extra"]["history"]])
print("losses resumed      ", [r["loss"] for r in b["extra"]["history"]])
print(f"max |dw| between uninterrupted and resumed encoder: {diff}")
PYEOF
