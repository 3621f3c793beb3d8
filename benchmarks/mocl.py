"""MoCL table: pretrain on each dataset itself (DK-k substitution, with and without fingerprint-neighbour
global knowledge, with the project's rules and with MoCL's rule file), then the linear protocol (frozen
encoder, linear head, 50 epochs) and the semi-supervised one (fine-tune everything on 5 % of the labels),
random 80/10/10 split, test ROC-AUC at the best validation epoch, next to the published MoCL row.

    python benchmarks/mocl.py --quick     # reduced budget for 2 CPU cores (see the table title)
    python benchmarks/mocl.py             # full protocol (GPU)

MoCL's rule file is GPL-3.0 data and is not shipped: pass --mocl-rules PATH (default: the mirror's copy).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from graphcl.utils import (
    append_jsonl,
    atomic_write_text,
    environment_info,
    format_mean_std,
    markdown_table,
    peak_memory_mb,
    read_jsonl,
)

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = ("bace", "bbbp", "clintox", "mutag", "sider", "tox21", "toxcast")
# the paper's best configuration per dataset: (DK depth, neighbours k, lambda) and ROC-AUC (REFERENCE.md)
BEST = {"bace": (1, 50, 5), "bbbp": (3, 50, 10), "clintox": (1, 50, 5), "mutag": (3, 10, 1), "sider": (1, 50, 5),
        "tox21": (1, 600, 5), "toxcast": (1, 600, 5)}
PUBLISHED = {"linear": dict(zip(DATASETS, (0.845, 0.905, 0.750, 0.969, 0.628, 0.768, 0.653))),
             "semi": dict(zip(DATASETS, (0.706, 0.809, 0.623, 0.916, 0.565, 0.686, 0.546)))}
QUICK = {"datasets": ["bace", "bbbp"], "epochs": 2, "seeds": [0, 1], "protocols": ["linear"], "hidden_channels": 128,
         "variants": ["none", "project-local", "project-global"]}
VARIANTS = ("none", "project-local", "project-global", "mocl-local", "mocl-global", "project-regression")


def default_mocl_rules() -> str | None:
    mirror = os.environ.get("GRAPHCL_DATASET_MIRROR")
    path = Path(mirror) / "MoCL" / "isostere_transformations_new.json" if mirror else None
    return str(path) if path is not None and path.is_file() else None


def pretrain_variant(variant: str, name: str, dataset, smiles, args, device):
    from graphcl.methods.mocl import build_mocl
    from graphcl.nn import MoleculeGINEncoder
    from graphcl.train import pretrain

    depth, k, lam = BEST[name]
    rules_name, mode = variant.split("-")
    rules = args.mocl_rules if rules_name == "mocl" else None
    global_mode = {"local": None, "global": "contrast", "regression": "regression"}[mode]
    torch.manual_seed(args.pretrain_seed)
    started = time.perf_counter()
    method = build_mocl(smiles, encoder=MoleculeGINEncoder(hidden_channels=args.hidden_channels, num_layers=3, p=0.5),
                        rules=rules,
                        depth=depth, global_mode=global_mode, k=k, lam=lam if global_mode else 0.0,
                        generator=torch.Generator().manual_seed(args.pretrain_seed), cache_dir=args.work_dir)
    setup_seconds = time.perf_counter() - started
    result = pretrain(method, dataset, epochs=args.epochs, lr=1e-3, batch_size=32, device=device,
                      progress=not args.no_progress, seed=args.pretrain_seed)
    info = {"setup_seconds": setup_seconds, "seconds_per_epoch": result.seconds_per_epoch, "losses": result.losses,
            "depth": depth, "k": k, "lam": lam if global_mode else 0.0, "rules": rules_name,
            "global_mode": global_mode, "substitution_stats": dict(method.substitution.stats)}
    return method.encoder, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS[:5]), choices=VARIANTS,
                        help="none = random encoder; RULES-local / RULES-global (neighbour contrast with the "
                             "paper's k and lambda) / project-regression (cosine onto Tanimoto)")
    parser.add_argument("--epochs", type=int, default=100, help="pretraining epochs")
    parser.add_argument("--hidden-channels", type=int, default=512, help="GIN width (MoCL: 512)")
    parser.add_argument("--linear-epochs", type=int, default=50)
    parser.add_argument("--semi-epochs", type=int, default=100)
    parser.add_argument("--label-fraction", type=float, default=0.05)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="evaluation seeds (split + head)")
    parser.add_argument("--pretrain-seed", type=int, default=0)
    parser.add_argument("--protocols", nargs="+", default=["linear", "semi"], choices=["linear", "semi"])
    parser.add_argument("--mocl-rules", default=default_mocl_rules())
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help=f"reduced budget: {QUICK}")
    parser.add_argument("--work-dir", default="runs/mocl")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.semi_epochs, args.linear_epochs = QUICK["epochs"], 20, 50
        if args.hidden_channels == 512:
            args.hidden_channels = QUICK["hidden_channels"]
        if args.datasets == list(DATASETS):
            args.datasets = QUICK["datasets"]
        if args.seeds == [0, 1, 2]:
            args.seeds = QUICK["seeds"]
        if args.variants == list(VARIANTS[:5]):
            args.variants = QUICK["variants"]
        if args.protocols == ["linear", "semi"]:
            args.protocols = QUICK["protocols"]
    if any(v.startswith("mocl") for v in args.variants) and not args.mocl_rules:
        raise SystemExit("MoCL's rule file not found: pass --mocl-rules PATH or drop the mocl-* variants")
    args.out = args.out or str(RESULTS / ("mocl_quick" if args.quick else "mocl"))

    from graphcl.data import load_moleculenet
    from graphcl.eval import evaluate_on_task, random_encoder_factory, task_split
    from graphcl.nn import MoleculeGINEncoder
    from graphcl.utils import resolve_device

    device = resolve_device(args.device)
    env = environment_info()
    for name in args.datasets:
        try:
            dataset = load_moleculenet(name)
        except ValueError as error:  # e.g. MoCL's MUTAG SMILES have no loader yet
            print(f"skipping {name}: {error}")
            continue
        smiles = [dataset[i].smiles for i in range(len(dataset))]
        for variant in args.variants:
            if variant == "none":
                encoder, info = random_encoder_factory(MoleculeGINEncoder, hidden_channels=args.hidden_channels,
                                                       num_layers=3), {}
            else:
                encoder, info = pretrain_variant(variant, name, dataset, smiles, args, device)
            for protocol in args.protocols:
                for seed in args.seeds:
                    split = task_split(dataset, "random", seed=seed)
                    run = evaluate_on_task(encoder, dataset, split, seeds=[seed],
                                           protocol="linear" if protocol == "linear" else "finetune",
                                           epochs=args.linear_epochs if protocol == "linear" else args.semi_epochs,
                                           label_fraction=1.0 if protocol == "linear" else args.label_fraction,
                                           device=device)[0]
                    append_jsonl(f"{args.out}.jsonl", {"dataset": name, "variant": variant, "protocol": protocol,
                                                       "seed": seed, **run.as_dict(), "pretrain": info,
                                                       "quick": args.quick, "config": vars(args),
                                                       "peak_memory_mb": peak_memory_mb(device), "environment": env})
                    print(f"{name} {variant} {protocol} seed {seed}: test {run.test:.3f} (valid {run.valid:.3f})")
            write_summary(args, env)


def write_summary(args, env) -> None:
    records = [r for r in read_jsonl(f"{args.out}.jsonl") if r["config"]["epochs"] == args.epochs]
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in records)]
    # the file accumulates runs of several invocations: describe what it holds, not the last call
    protocols = [p for p in ("linear", "semi") if any(r["protocol"] == p for r in records)]
    seeds = sorted({r["seed"] for r in records})
    labels = {"none": "no pretraining", "project-local": "MoCL-DK, project rules, local only",
              "project-global": "MoCL-DK+global (neighbours), project rules",
              "mocl-local": "MoCL-DK, MoCL rules, local only", "mocl-global": "MoCL-DK+global (neighbours), MoCL rules",
              "project-regression": "MoCL-DK+global (Tanimoto regression), project rules"}
    text = ["# MoCL: pretraining on each dataset, random 80/10/10 split, test ROC-AUC at best validation\n"]
    mode = (f"REDUCED BUDGET (--quick): {args.epochs} pretraining epochs (paper: 100), datasets {datasets} only, "
            f"seeds {seeds}, protocols {protocols}, GIN width {args.hidden_channels} (paper: 512)" if args.quick
            else
            f"full protocol: {args.epochs} pretraining epochs, seeds {seeds}")
    best = ", ".join(f"{d}: DK{BEST[d][0]}/{BEST[d][1]}/{BEST[d][2]}" for d in datasets)
    text.append(f"{mode}. Depth/k/λ per dataset as the paper's best ({best}). "
                f"Encoder GIN 3 x {args.hidden_channels} on OGB "
                f"features, dropout 0.5, batch 32, "
                f"lr 1e-3. Load average {env['machine'].get('load_average')}, commit {env['git_commit']}.\n")
    for protocol in ("linear", "semi"):
        if not any(r["protocol"] == protocol for r in records):
            continue
        rows = []
        for variant in VARIANTS:
            cells = []
            for d in datasets:
                values = [r["test"] for r in records if r["variant"] == variant and r["dataset"] == d
                          and r["protocol"] == protocol]
                cells.append(format_mean_std(values, digits=3) if values else "–")
            if any(c != "–" for c in cells):
                rows.append([labels[variant], *cells])
        rows.append(["MoCL (published best)", *[f"{PUBLISHED[protocol][d]:.3f}" for d in datasets]])
        title = "Linear protocol (frozen encoder)" if protocol == "linear" else \
            f"Semi-supervised ({100 * args.label_fraction:g} % labels, fine-tune all layers)"
        text.append(f"## {title}\n\n" + markdown_table(["Variant", *datasets], rows))
    atomic_write_text(f"{args.out}.md", "\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
