export PYTHONPATH=/work/wt/run OMP_NUM_THREADS=1 GRAPHCL_NO_PROGRESS=1
cd /tmp/nodework
(cd /work/wt/run && git rev-parse --short HEAD)
date
/usr/bin/time -v /work/main/.venv/bin/python -m graphcl pretrain --method dgi --dataset g2m.pt --batch-size 1024 --num-neighbors 10 10 --epochs 1 --save-dir full2m --no-progress
date
ls -la full2m
/usr/bin/time -v /work/main/.venv/bin/python -m graphcl embed --checkpoint full2m/pretrain_dgi_g2m_seed0.encoder.pt --data g2m.pt --out full2m/emb.npy
date
/work/main/.venv/bin/python -c "import numpy as np; a=np.load('full2m/emb.npy', mmap_mode='r'); print(a.shape, a.dtype, bool(np.isfinite(a[::1000]).all()))"
