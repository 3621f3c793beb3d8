"""Which contrastive loss suits graph-level GraphCL? One table over TU datasets.

For every dataset, loss and seed: pretrain GraphCL (GIN 3 x 32, sum pooling per layer, official unsupervised TU
settings) with that loss plugged in, embed every graph, and record the SVM accuracy (nested 10-fold CV),
the alignment and uniformity of the embeddings (Wang & Isola 2020) and the seconds per epoch. A second
part trains the positives-only GraphBGRL on PROTEINS and follows the uniformity of its embeddings every
epoch: it must stay away from its collapsed value 0.

    python benchmarks/loss_comparison.py                 # full: MUTAG, PROTEINS, NCI1, 8 losses, 5 seeds
    python benchmarks/loss_comparison.py --quick         # reduced: 3 seeds, 10 epochs, BGRL 1 seed x 15 epochs

Results: JSON lines per run in ``benchmarks/results/loss_comparison.jsonl`` (and ``..._bootstrap.jsonl``),
summary in ``benchmarks/results/loss_comparison.md``.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

from graphcl.eval import alignment, uniformity
from graphcl.eval.svm import embed_dataset, svm_cross_validation
from graphcl.losses import make_two_view_loss
from graphcl.utils import (
    append_jsonl,
    atomic_write_text,
    environment_info,
    format_mean_std,
    make_generator,
    markdown_table,
    mean_std,
    peak_memory_mb,
    read_jsonl,
    resolve_device,
)

RESULTS = Path(__file__).resolve().parent / "results"

#: The losses compared, with the hyperparameters used for all of them (GraphCL's TU temperature 0.2).
LOSSES: dict[str, dict] = {
    "nt_xent_graphcl": {"temperature": 0.2},
    "nt_xent": {"temperature": 0.2},
    "debiased": {"temperature": 0.2, "tau_plus": 0.1},
    "hard_negative": {"temperature": 0.2, "tau_plus": 0.1, "beta": 1.0},
    "margin": {"margin": 1.0},
    "triplet": {"margin": 0.2, "mining": "semi-hard"},
    "n_pair": {"l2_reg": 0.002},
    "jensen_shannon": {},
}

LOSS_TITLES = {
    "nt_xent_graphcl": "NT-Xent, GraphCL denominator (You et al. 2020)",
    "nt_xent": "NT-Xent, SimCLR denominator (Chen et al. 2020)",
    "debiased": "Debiased (Chuang et al. 2020)",
    "hard_negative": "Hard negatives (Robinson et al. 2021)",
    "margin": "Margin contrastive (Chopra et al. 2005)",
    "triplet": "Triplet, semi-hard (Schroff et al. 2015)",
    "n_pair": "N-pair (Sohn 2016)",
    "jensen_shannon": "Jensen-Shannon (InfoGraph)",
}

#: GraphCL's published unsupervised TU accuracies (REFERENCE.md), for the NT-Xent/GraphCL row.
PUBLISHED_GRAPHCL = {"MUTAG": "86.80 ± 1.34", "PROTEINS": "74.39 ± 0.45", "NCI1": "77.87 ± 0.41"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["MUTAG", "PROTEINS", "NCI1"])
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=list(LOSSES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--augmentation", default="random2", help="GraphCL augmentation mode")
    parser.add_argument("--svm-folds", type=int, default=10)
    parser.add_argument("--classifier", default="svc", choices=["svc", "linear_svc", "logistic"],
                        help="svc = RBF SVM of the GraphCL protocol; linear_svc is much faster on 2 CPUs")
    parser.add_argument("--standardize", action="store_true", help="z-score embeddings inside each fold")
    parser.add_argument("--bootstrap-dataset", default="PROTEINS")
    parser.add_argument("--bootstrap-epochs", type=int, default=20)
    parser.add_argument("--bootstrap-lr", type=float, default=0.001)
    parser.add_argument("--bootstrap-seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--skip-comparison", action="store_true", help="only the BGRL part")
    parser.add_argument("--skip-bootstrap", action="store_true", help="only the loss comparison")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tag", default="full", help="label of this configuration in the result files")
    parser.add_argument("--rerun", action="store_true", help="rerun runs already in the result file")
    parser.add_argument("--quick", action="store_true",
                        help="reduced run: 3 seeds, 10 epochs; bootstrap 1 seed x 15 epochs")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--save-embeddings", type=Path, default=None,
                        help="folder for the first seed's embeddings (.pt, for `graphcl embeddings`)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:3]
        args.epochs = min(args.epochs, 10)
        args.bootstrap_seeds = args.bootstrap_seeds[:1]
        args.bootstrap_epochs = min(args.bootstrap_epochs, 15)
        if args.tag == "full":
            args.tag = "quick"
    return args


def load_dataset(name: str):
    import graphcl.data

    if not hasattr(graphcl.data, "load_tu"):
        raise RuntimeError("graphcl.data.load_tu is missing: this benchmark needs the TU loader of graphcl.data")
    return graphcl.data.load_tu(name)


def loader_name() -> str:
    import graphcl.data

    return f"{graphcl.data.load_tu.__module__}.{graphcl.data.load_tu.__name__}"


def evaluate(args, embeddings, labels, seed):
    return svm_cross_validation(embeddings, labels, n_splits=args.svm_folds, seed=seed, classifier=args.classifier,
                                standardize=args.standardize)


def svm_description(args) -> str:
    kind = {"svc": "SVC rbf", "linear_svc": "LinearSVC", "logistic": "logistic regression"}[args.classifier]
    scaled = ", standardized" if args.standardize else ""
    return f"{kind}{scaled}, C in 1e-3..1e3 by inner 5-fold CV, outer {args.svm_folds}-fold"


def embedding_diagnostics(method, dataset, device, seed: int) -> dict[str, float]:
    """Uniformity of all graph embeddings; alignment between the embeddings of each graph's two views."""
    from torch_geometric.loader import DataLoader

    embeddings, labels = embed_dataset(method, dataset, device=device)
    previous = method.generator.get_state() if getattr(method, "generator", None) is not None else None
    torch.manual_seed(seed)
    first, second = [], []
    for batch in DataLoader(dataset, batch_size=512, shuffle=False):
        view1, view2 = method.views(batch.to(device))
        first.append(method.embed(view1).cpu())
        second.append(method.embed(view2).cpu())
    if previous is not None:
        method.generator.set_state(previous)
    first, second = torch.cat(first), torch.cat(second)
    return {"alignment": float(alignment(first, second)), "uniformity": float(uniformity(embeddings)),
            "embeddings": embeddings, "labels": labels, "embeddings_view1": first, "embeddings_view2": second}


def save_embeddings(args, name: str, diagnostics: dict) -> None:
    """Embeddings for ``graphcl embeddings FILE --plot out.png`` (first seed only)."""
    if args.save_embeddings is None:
        return
    from graphcl.utils import atomic_save

    atomic_save({"embeddings": diagnostics["embeddings_view1"], "embeddings_view2": diagnostics["embeddings_view2"],
                 "labels": diagnostics["labels"]}, args.save_embeddings / f"{name}.pt")


def run_comparison(args, device, env) -> Path:
    from graphcl.methods.graphcl_graph import GraphCL
    from graphcl.nn.gin import GINEncoder
    from graphcl.train import pretrain
    from graphcl.utils import seed_everything

    path = args.out / "loss_comparison.jsonl"
    done = {(r["tag"], r["dataset"], r["loss"], r["seed"]) for r in read_jsonl(path)}
    for name in args.datasets:
        dataset = load_dataset(name)
        for loss_name in args.losses:
            for seed in args.seeds:
                if (args.tag, name, loss_name, seed) in done and not args.rerun:
                    print(f"skip {name} {loss_name} seed {seed}: already in {path.name}")
                    continue
                seed_everything(seed)
                loss = make_two_view_loss(loss_name, **LOSSES[loss_name])
                encoder = GINEncoder(dataset.num_features, hidden_channels=32, num_layers=3)
                method = GraphCL(encoder, augmentation=args.augmentation, loss=loss,
                                 generator=make_generator(seed)).to(device)
                started = time.perf_counter()
                result = pretrain(method, dataset, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                                  device=device, seed=seed, progress=not args.no_progress)
                diagnostics = embedding_diagnostics(method, dataset, device, seed)
                scores = evaluate(args, diagnostics["embeddings"], diagnostics["labels"], seed)
                if seed == args.seeds[0]:
                    save_embeddings(args, f"{name}_{loss_name}_seed{seed}", diagnostics)
                record = {
                    "tag": args.tag, "dataset": name, "loss": loss_name, "loss_kwargs": LOSSES[loss_name],
                    "seed": seed, "accuracy": scores.mean, "accuracy_fold_std": scores.std,
                    "fold_accuracies": scores.fold_accuracies, "alignment": diagnostics["alignment"],
                    "uniformity": diagnostics["uniformity"], "seconds_per_epoch": result.seconds_per_epoch,
                    "final_loss": result.losses[-1] if result.losses else math.nan,
                    "loss_history": result.losses, "seconds_total": time.perf_counter() - started,
                    "peak_memory_mb": peak_memory_mb(device),
                    "config": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                               "augmentation": args.augmentation, "encoder": "GIN 3x32 sum, concat",
                               "svm": svm_description(args), "loader": loader_name(),
                               "device": str(device)},
                    "environment": environment_info(), "arguments": env,
                }
                append_jsonl(path, record)
                print(f"{name:9s} {loss_name:16s} seed {seed}: acc {100 * scores.mean:.2f} "
                      f"align {record['alignment']:.3f} unif {record['uniformity']:.3f} "
                      f"{record['seconds_per_epoch']:.2f} s/epoch", flush=True)
    return path


#: The positives-only runs: GraphBGRL, and BYOL's ablation without predictor and with an instantly copied
#: target (momentum 0), which is expected to collapse and shows what collapse looks like in these numbers.
BOOTSTRAP_VARIANTS = {
    "GraphBGRL": {"use_predictor": True, "momentum": 0.99},
    "no predictor, momentum 0 (control)": {"use_predictor": False, "momentum": 0.0},
}


def run_bootstrap(args, device, env) -> Path:
    from graphcl.methods import GraphBGRL
    from graphcl.nn.gin import GINEncoder
    from graphcl.train import pretrain
    from graphcl.utils import seed_everything

    path = args.out / "loss_comparison_bootstrap.jsonl"
    done = {(r["tag"], r["dataset"], r.get("variant", "GraphBGRL"), r["seed"]) for r in read_jsonl(path)}
    dataset = load_dataset(args.bootstrap_dataset)
    steps_per_epoch = math.ceil(len(dataset) / args.batch_size)
    for variant, settings in BOOTSTRAP_VARIANTS.items():
        seeds = args.bootstrap_seeds if variant == "GraphBGRL" else args.bootstrap_seeds[:1]
        for seed in seeds:
            if (args.tag, args.bootstrap_dataset, variant, seed) in done and not args.rerun:
                print(f"skip {variant} seed {seed}: already in {path.name}")
                continue
            seed_everything(seed)
            encoder = GINEncoder(dataset.num_features, hidden_channels=32, num_layers=3)
            method = GraphBGRL(encoder, augmentation=args.augmentation, momentum=settings["momentum"],
                               total_steps=args.bootstrap_epochs * steps_per_epoch,
                               use_predictor=settings["use_predictor"], generator=make_generator(seed)).to(device)
            initial, _ = embed_dataset(method, dataset, device=device)
            trajectory = [{"epoch": 0, "uniformity": float(uniformity(initial))}]

            def track(record, method=method, trajectory=trajectory):
                embeddings, _ = embed_dataset(method, dataset, device=device)
                record["uniformity"] = float(uniformity(embeddings))
                trajectory.append({"epoch": record["epoch"], "loss": record["loss"],
                                   "uniformity": record["uniformity"]})

            result = pretrain(method, dataset, epochs=args.bootstrap_epochs, lr=args.bootstrap_lr,
                              batch_size=args.batch_size, device=device, seed=seed,
                              progress=not args.no_progress, on_epoch=track)
            diagnostics = embedding_diagnostics(method, dataset, device, seed)
            scores = evaluate(args, diagnostics["embeddings"], diagnostics["labels"], seed)
            save_embeddings(args, f"{args.bootstrap_dataset}_{variant.split(',')[0].replace(' ', '_')}_seed{seed}",
                            diagnostics)
            later = [t["uniformity"] for t in trajectory[1:]]
            record = {
                "tag": args.tag, "method": "GraphBGRL", "variant": variant, "dataset": args.bootstrap_dataset,
                "seed": seed, "uniformity_trajectory": trajectory, "uniformity_initial": trajectory[0]["uniformity"],
                "uniformity_final": diagnostics["uniformity"], "uniformity_min_over_epochs": min(later),
                "uniformity_max_over_epochs": max(later), "collapsed_uniformity": 0.0,
                "alignment": diagnostics["alignment"], "accuracy": scores.mean, "accuracy_fold_std": scores.std,
                "seconds_per_epoch": result.seconds_per_epoch, "peak_memory_mb": peak_memory_mb(device),
                "config": {"epochs": args.bootstrap_epochs, "lr": args.bootstrap_lr, "batch_size": args.batch_size,
                           "momentum": (f"{settings['momentum']} -> 1 (cosine)" if settings["momentum"] > 0
                                        else "0 (target = online)"),
                           "predictor_hidden": 512 if settings["use_predictor"] else None,
                           "augmentation": args.augmentation, "svm": svm_description(args),
                           "loader": loader_name(), "device": str(device)},
                "environment": environment_info(), "arguments": env,
            }
            append_jsonl(path, record)
            print(f"{variant} {args.bootstrap_dataset} seed {seed}: uniformity {record['uniformity_initial']:.3f} "
                  f"(init) -> {record['uniformity_final']:.3f}, max over epochs "
                  f"{record['uniformity_max_over_epochs']:.3f} (collapsed: 0), acc {100 * scores.mean:.2f}",
                  flush=True)
    return path


def write_summary(args) -> Path:
    comparison = [r for r in read_jsonl(args.out / "loss_comparison.jsonl")]
    bootstrap = [r for r in read_jsonl(args.out / "loss_comparison_bootstrap.jsonl")]
    lines = ["# Loss comparison: graph-level GraphCL with each loss", ""]
    for tag in sorted({r["tag"] for r in comparison}):
        rows_of_tag = [r for r in comparison if r["tag"] == tag]
        example = rows_of_tag[0]["config"]
        datasets = [d for d in ["MUTAG", "PROTEINS", "NCI1"] if any(r["dataset"] == d for r in rows_of_tag)]
        datasets += sorted({r["dataset"] for r in rows_of_tag} - set(datasets))
        seeds = sorted({r["seed"] for r in rows_of_tag})
        lines += [f"## Configuration `{tag}`", "",
                  f"GIN 3x32 (sum pooling per layer, concatenated), GraphCL augmentation `{example['augmentation']}`"
                  f" at 0.2, {example['epochs']} epochs, batch {example['batch_size']}, lr {example['lr']}, "
                  f"seeds {seeds}; {example['svm']}. Accuracy: mean ± std over seeds of the 10-fold mean (%). "
                  "Alignment (lower = positive pairs closer) and uniformity (lower = more spread, collapsed = 0) "
                  "on the L2-normalised encoder embeddings; alignment between each graph and its augmented "
                  "view. Seconds per epoch on the machine of the run (see the JSON lines for load and versions).",
                  ""]
        header = ["loss"] + [f"{d} acc" for d in datasets] + [f"{d} align / unif" for d in datasets] + [
            f"{d} s/epoch" for d in datasets]
        rows = []
        for loss_name in LOSSES:
            runs = [r for r in rows_of_tag if r["loss"] == loss_name]
            if not runs:
                continue
            row = [LOSS_TITLES[loss_name]]
            cells_acc, cells_diag, cells_time = [], [], []
            for d in datasets:
                got = [r for r in runs if r["dataset"] == d]
                if not got:
                    cells_acc.append("–"), cells_diag.append("–"), cells_time.append("–")
                    continue
                accuracy = format_mean_std([r["accuracy"] for r in got], scale=100)
                suffix = f" (n={len(got)})" if len(got) != len(seeds) else ""
                cells_acc.append(accuracy + suffix)
                align, _ = mean_std([r["alignment"] for r in got])
                unif, _ = mean_std([r["uniformity"] for r in got])
                cells_diag.append(f"{align:.3f} / {unif:.3f}")
                cells_time.append(f"{mean_std([r['seconds_per_epoch'] for r in got])[0]:.2f}")
            rows.append(row + cells_acc + cells_diag + cells_time)
        rows.append(["GraphCL published (You et al. 2020)"] + [PUBLISHED_GRAPHCL.get(d, "–") for d in datasets]
                    + ["–"] * (2 * len(datasets)))
        lines.append(markdown_table(header, rows))
        loads = [r["environment"]["machine"].get("load_average") for r in rows_of_tag]
        loads = [l[0] for l in loads if l]
        if loads:
            lines.append(f"1-minute load average at the end of the runs: {min(loads):.1f} to {max(loads):.1f} "
                         f"on {rows_of_tag[0]['environment']['machine'].get('cpu_count')} CPUs.\n")
    if bootstrap:
        lines += ["## Positives only: GraphBGRL does not collapse", "",
                  "Uniformity of the L2-normalised GIN graph embeddings every epoch (collapsed value: 0; "
                  "the lower, the more spread).", ""]
        header = ["config", "variant", "dataset", "seed", "epochs", "uniformity at init", "max over epochs",
                  "final", "alignment", "SVM acc (%)", "s/epoch"]
        rows = [[r["tag"], r.get("variant", "GraphBGRL"), r["dataset"], r["seed"], r["config"]["epochs"],
                 f"{r['uniformity_initial']:.3f}",
                 f"{r['uniformity_max_over_epochs']:.3f}", f"{r['uniformity_final']:.3f}",
                 f"{r['alignment']:.3f}", f"{100 * r['accuracy']:.2f}", f"{r['seconds_per_epoch']:.2f}"]
                for r in bootstrap]
        lines.append(markdown_table(header, rows))
        for r in bootstrap:
            curve = ", ".join(f"{t['uniformity']:.2f}" for t in r["uniformity_trajectory"])
            lines.append(f"- {r['tag']} {r.get('variant', 'GraphBGRL')} seed {r['seed']} uniformity by epoch "
                         f"(0 = init): {curve}")
        lines.append("")
    return atomic_write_text(args.out / "loss_comparison.md", "\n".join(lines) + "\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    device = resolve_device(args.device)
    env = json.loads(json.dumps(vars(args), default=str))
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_comparison:
        run_comparison(args, device, env)
    if not args.skip_bootstrap:
        run_bootstrap(args, device, env)
    print(f"summary: {write_summary(args)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
