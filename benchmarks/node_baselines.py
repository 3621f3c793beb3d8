"""GRACE and MVGRL (node level) on the Planetoid citation graphs next to their published numbers, with two
baseline rows measured in the same run with the same probes: the untrained (randomly initialised) encoder of
each method, and the raw (row-normalized) input features.

    python benchmarks/node_baselines.py                                    # Cora, CiteSeer; 5 seeds; all rows
    python benchmarks/node_baselines.py --datasets Cora --methods grace --seeds 0 --tag grace-cora
    python benchmarks/node_baselines.py --summarize TAG [TAG ...]           # rebuild the table only

Every row is evaluated with two probes:
- public: the Planetoid public split (140/500/1000 on Cora), the project's linear probe (DGI protocol: 50
  logistic regressions, Adam 0.01, 100 steps, no weight decay); test accuracy, validation accuracy also kept.
- random: GRACE's protocol, l2-normalized embeddings, random 10 % train / 90 % test, one-vs-rest logistic
  regression with C chosen by 5-fold CV on the training part, 3 splits; micro-F1.

Writes one JSON line per (dataset, method, seed) to ``benchmarks/results/node_baselines.jsonl`` and the table
to ``benchmarks/results/node_baselines.md``.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from graphcl.eval.node_protocol import prepare_node_data
from graphcl.eval import linear_probe, random_split_logreg
from graphcl.methods import build_grace, build_mvgrl, grace_settings, train_full_batch
from graphcl.utils import (append_jsonl, atomic_write_text, environment_info, format_mean_std, make_generator,
                           markdown_table, peak_memory_mb, read_jsonl, seed_everything)

RESULTS = Path(__file__).resolve().parent / "results"
METHODS = ("raw_features", "untrained_grace", "untrained_mvgrl", "grace", "mvgrl")
LABELS = {"raw_features": "raw features (row-normalized)", "untrained_grace": "GRACE encoder, untrained",
          "untrained_mvgrl": "MVGRL encoders, untrained", "grace": "GRACE", "mvgrl": "MVGRL"}
# Published numbers (%): GRACE (Zhu et al. 2020) on its random 10/90 split; MVGRL (Hassani & Khasahmadi 2020)
# on the public split. Others' public-split measurements of GRACE are marked unverified.
PUBLISHED = {
    ("grace", "Cora", "random"): "83.3 ± 0.4", ("grace", "CiteSeer", "random"): "72.1 ± 0.5",
    ("grace", "Cora", "public"): "81.9 (others, unverified)",
    ("grace", "CiteSeer", "public"): "71.2 (others, unverified)",
    ("mvgrl", "Cora", "public"): "86.8 ± 0.5", ("mvgrl", "CiteSeer", "public"): "73.3 ± 0.5",
}
PROTOCOL_CARD = """Protocol card
- Data: Planetoid Cora / CiteSeer, features row-normalized (as both official codes), graph used whole.
- Pretraining: no labels. GRACE: the official per-dataset settings (config.yaml: widths, view rates, tau,
  lr, weight decay 1e-5), full batch, fixed epoch budget (200), the final model. MVGRL: two 1-layer GCNs of
  512 units, sparse PPR diffusion (alpha 0.2, entries >= eps kept, eps below), Adam 1e-3, early stopping on
  the training loss with patience 20 (the official rule), best-loss weights; full batch unless stated.
- Baselines in the same run: raw features; each method's encoder at its seeded random initialization.
- Split / probes: (public) Planetoid public split, 50 logistic regressions (Adam 0.01, 100 steps), test
  accuracy; (random) GRACE's protocol: random 10 % train / 90 % test, C by 5-fold CV on the train part only,
  3 splits (seeded), micro-F1.
- Model selection: none on test. Pretraining hyperparameters are the official ones; the probes' settings are
  fixed; C is chosen by cross-validation on training nodes only.
- Seeds: one pretraining seed per row (also seeds its probes); mean ± std (population) over seeds.
"""


def embed_row(method: str, data, seed: int, args) -> tuple[torch.Tensor, dict]:
    """Embeddings of one row and what it took to get them."""
    info: dict = {}
    seed_everything(seed)
    generator = make_generator(seed)
    dataset = args.current_dataset
    if method == "raw_features":
        return data.x, info
    if method in ("grace", "untrained_grace"):
        settings = grace_settings(dataset)
        model = build_grace(data.num_features, settings, generator=generator, sampling=args.grace_sampling)
        info["settings"] = settings.as_dict()
        info["sampling"] = args.grace_sampling
        if method == "grace":
            epochs = settings.epochs if args.epochs is None else min(args.epochs, settings.epochs)
            start = time.perf_counter()
            result = train_full_batch(model, data, epochs=epochs, lr=settings.lr,
                                      weight_decay=settings.weight_decay, patience=None, progress=False,
                                      restore_best=False)
            info.update(epochs_run=result.epochs, final_loss=result.losses[-1],
                        train_seconds=time.perf_counter() - start, seconds_per_epoch=result.seconds_per_epoch)
        return model.embed(data), info
    model = build_mvgrl(data.num_features, eps=args.mvgrl_eps, top_k=args.mvgrl_top_k,
                        sample_size=args.mvgrl_sample_size, generator=generator)
    start = time.perf_counter()
    index = model.views(data)[2]
    info.update(diffusion_seconds=time.perf_counter() - start, diffusion_nnz=int(index.size(1)),
                eps=args.mvgrl_eps, top_k=args.mvgrl_top_k, sample_size=args.mvgrl_sample_size)
    if method == "mvgrl":
        epochs = 10000 if args.epochs is None else args.epochs
        start = time.perf_counter()
        result = train_full_batch(model, data, epochs=epochs, lr=1e-3, patience=20, progress=False)
        info.update(epochs_run=result.epochs, best_epoch=result.best_epoch, best_loss=result.best_loss,
                    train_seconds=time.perf_counter() - start, seconds_per_epoch=result.seconds_per_epoch)
    return model.embed(data), info


def evaluate(embeddings: torch.Tensor, data, seed: int, protocols: list[str]) -> dict:
    out = {}
    if "public" in protocols:
        probe = linear_probe(embeddings, data.y, data.train_mask, data.val_mask, data.test_mask,
                             generator=make_generator(seed))
        out["public"] = {"test_mean": 100 * probe.test_mean, "test_std": 100 * probe.test_std,
                         "val_mean": 100 * probe.val_mean, "runs": probe.runs, "steps": probe.steps}
    if "random" in protocols:
        result = random_split_logreg(embeddings, data.y, seed=seed)
        out["random"] = {"micro_f1_mean": 100 * result.micro_f1_mean, "micro_f1_std": 100 * result.micro_f1_std,
                         "micro_f1": [100 * v for v in result.micro_f1], "chosen_c": result.chosen_c}
    return out


def summarize(records: list[dict], tags: list[str]) -> str:
    runs = [r for r in records if r.get("tag") in tags]
    header = ["Dataset", "Row", "Public split, linear probe (test acc. %)", "Random 10/90, GRACE probe "
              "(micro-F1 %)", "Seeds", "Published", "Pretraining (epochs, s)"]
    rows = []
    for dataset in ("Cora", "CiteSeer", "PubMed"):
        for method, sampling in [(m, s) for m in METHODS for s in ("exact", "independent")]:
            mine = sorted((r for r in runs if r["dataset"] == dataset and r["method"] == method
                           and r["info"].get("sampling", "exact") == sampling), key=lambda r: r["seed"])
            if not mine:
                continue
            public = [r["probes"]["public"]["test_mean"] for r in mine if "public" in r["probes"]]
            random_ = [r["probes"]["random"]["micro_f1_mean"] for r in mine if "random" in r["probes"]]
            published = "; ".join(f"{p}: {PUBLISHED[(method, dataset, p)]}" for p in ("public", "random")
                                  if (method, dataset, p) in PUBLISHED) or "—"
            budget = ""
            if "epochs_run" in mine[0]["info"]:
                epochs = [r["info"]["epochs_run"] for r in mine]
                seconds = [r["info"]["train_seconds"] for r in mine]
                budget = f"{sum(epochs) / len(epochs):.0f} epochs, {sum(seconds) / len(seconds):.0f} s"
            label = LABELS[method] + (" (views drawn as the official code: each directed edge and column "
                                      "on its own)" if sampling == "independent" else "")
            rows.append([dataset, label, format_mean_std(public) if public else "—",
                         format_mean_std(random_) if random_ else "—",
                         ", ".join(str(r["seed"]) for r in mine), published, budget])
    return markdown_table(header, rows)


def write_summary(out: Path, tags: list[str], command: str) -> str:
    records = read_jsonl(out / "node_baselines.jsonl")
    environment = next((r["environment"] for r in records if r.get("tag") in tags), environment_info())
    mvgrl = next((r["info"] for r in records if r.get("tag") in tags and r["method"] == "mvgrl"), None)
    text = "# GRACE and MVGRL (node level) with baseline rows\n\n" + PROTOCOL_CARD
    if mvgrl is not None:
        text += (f"- MVGRL diffusion here: eps {mvgrl['eps']}, top-k {mvgrl['top_k']}, sample size "
                 f"{mvgrl['sample_size'] or 'full graph'}.\n")
    text += (f"\nRuns {', '.join(f'`{t}`' for t in tags)}: `{command}`; git {environment['git_commit']}; "
             f"{environment['machine']['cpu']} ({environment['machine']['cpu_count']} cores, shared), "
             f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}.\n\n")
    table = summarize(records, tags)
    atomic_write_text(out / "node_baselines.md", text + table)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--protocols", nargs="+", choices=["public", "random"], default=["public", "random"])
    parser.add_argument("--epochs", type=int, default=None, help="cap on pretraining epochs (default: official)")
    parser.add_argument("--grace-sampling", choices=["exact", "independent"], default="exact",
                        help="GRACE views: exact counts, undirected (default), or the official independent draw "
                             "per directed edge and column")
    parser.add_argument("--mvgrl-eps", type=float, default=1e-3)
    parser.add_argument("--mvgrl-top-k", type=int, default=None)
    parser.add_argument("--mvgrl-sample-size", type=int, default=None,
                        help="nodes per sampled block (official: 2000); default: full batch")
    parser.add_argument("--tag", default=None, help="label of this run (default: the time)")
    parser.add_argument("--summarize", nargs="+", default=None, metavar="TAG",
                        help="only rebuild the Markdown table from these tags")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    out = Path(args.out)
    if args.summarize:
        print(write_summary(out, args.summarize, "python benchmarks/node_baselines.py (several runs, see tags)"))
        return
    tag = args.tag or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    environment = environment_info()
    for dataset in args.datasets:
        data = prepare_node_data(dataset)
        args.current_dataset = dataset
        for method in args.methods:
            for seed in args.seeds:
                load = os.getloadavg()
                start = time.perf_counter()
                embeddings, info = embed_row(method, data, seed, args)
                probes = evaluate(embeddings, data, seed, args.protocols)
                record = {"benchmark": "node_baselines", "tag": tag, "dataset": dataset, "method": method,
                          "seed": seed, "probes": probes, "info": info, "seconds": time.perf_counter() - start,
                          "load_average_start": load, "peak_memory_mb": peak_memory_mb(),
                          "threads": torch.get_num_threads(), "environment": environment}
                append_jsonl(out / "node_baselines.jsonl", record)
                shown = {k: round(v.get("test_mean", v.get("micro_f1_mean")), 2) for k, v in probes.items()}
                print(f"{dataset} {method} seed {seed}: {shown} {info.get('epochs_run', '')} "
                      f"({record['seconds']:.0f} s, load {load[0]:.1f})", flush=True)
    command = (f"python benchmarks/node_baselines.py --datasets {' '.join(args.datasets)} --methods "
               f"{' '.join(args.methods)} --seeds {' '.join(map(str, args.seeds))}")
    print(write_summary(out, [tag], command))


if __name__ == "__main__":
    main()
