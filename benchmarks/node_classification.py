"""Node classification with frozen self-supervised embeddings: DGI and node-level GraphCL on the Planetoid
citation graphs (public split, linear probe of 50 logistic regressions), several pretraining seeds, next to
the published numbers; the same run times PyG's ``DeepGraphInfomax`` configured like our DGI.

    python benchmarks/node_classification.py                   # Cora, CiteSeer (PubMed if present), 5 seeds
    python benchmarks/node_classification.py --quick           # one seed, Cora, short timing
    python benchmarks/node_classification.py --methods untrained raw_features --no-timing   # reference rows
    python benchmarks/node_classification.py --summarize TAG [TAG ...]   # one table from several runs

Writes one JSON line per run to ``benchmarks/results/node_classification.jsonl`` and the summary table to
``benchmarks/results/node_classification.md``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from graphcl.eval.node_protocol import (build_node_method, default_hidden_channels, prepare_node_data,
                                        probe_node_embeddings, probe_record, run_node_pretraining)
from graphcl.data import DatasetNotFoundError
from graphcl.methods import DGI, train_full_batch
from graphcl.utils import (append_jsonl, atomic_write_text, environment_info, format_mean_std, make_generator,
                           markdown_table, mean_std, read_jsonl, seed_everything)

RESULTS = Path(__file__).resolve().parent / "results"
# Published test accuracies (%): DGI (Veličković et al., ICLR 2019), GraphCL (You et al., NeurIPS 2020).
PUBLISHED = {
    ("dgi", "Cora"): "82.3 ± 0.6", ("dgi", "CiteSeer"): "71.8 ± 0.7", ("dgi", "PubMed"): "76.8 ± 0.6",
    ("graphcl", "Cora"): "81.76", ("graphcl", "CiteSeer"): "73.14", ("graphcl", "PubMed"): "—",
}
METHOD_LABEL = {"dgi": "DGI", "graphcl": "GraphCL (subgraph, p=0.2)",
                "untrained": "reference: DGI's encoder untrained (its seeded initialisation)",
                "raw_features": "reference: raw features (row-normalized)"}
REFERENCES = ("untrained", "raw_features")
PROTOCOL_CARD = """Protocol card
- Split: the public Planetoid split (140 / 500 / 1,000 nodes on Cora, 120 / 500 / 1,000 on CiteSeer); features
  row-normalized; the graph used whole (transductive), without labels during pretraining.
- Model selection: pretraining stops on its own training loss (DGI's early stopping, patience 20) and keeps
  the best-loss weights; the probe's settings are fixed (50 logistic regressions, Adam 0.01, 100 steps, no
  weight decay); nothing is chosen on test nodes.
- Seeds: one pretraining seed per row (it also seeds the probe); mean ± std (population) over seeds of the
  mean test accuracy of the 50 regressions.
- References, same probe and seeds: DGI's encoder at the seeded initialisation DGI starts from (the same
  weights as the DGI row of that seed before training), and the raw input features.
- Budget: the papers' (DGI: 1 GCN layer of 512 units, Adam 0.001; GraphCL: subgraph views, p = 0.2).
"""


class PyGDeepGraphInfomax(torch.nn.Module):
    """PyG's ``DeepGraphInfomax`` set up as DGI's official code: one cached ``GCNConv`` of the same width, a
    single-slope PReLU, summary sigmoid(mean), feature-row shuffle, BCE (built into the PyG model)."""

    def __init__(self, in_channels: int, hidden_channels: int) -> None:
        super().__init__()
        from torch_geometric.nn import DeepGraphInfomax, GCNConv

        class Encoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = GCNConv(in_channels, hidden_channels, cached=True)
                self.act = torch.nn.PReLU()

            def forward(self, x, edge_index):
                return self.act(self.conv(x, edge_index))

        self.generator: torch.Generator | None = None

        def corruption(x, edge_index):
            return x[torch.randperm(x.size(0), generator=self.generator).to(x.device)], edge_index

        self.model = DeepGraphInfomax(hidden_channels, Encoder(),
                                      summary=lambda z, *args, **kwargs: torch.sigmoid(z.mean(dim=0)),
                                      corruption=corruption)

    def loss(self, data):
        pos, neg, summary = self.model(data.x, data.edge_index)
        return self.model.loss(pos, neg, summary)


def time_epochs(dataset: str, hidden: int, epochs: int, rounds: int, seed: int) -> dict:
    """Seconds per training epoch of our DGI and PyG's, in alternating rounds under the same load."""
    data = prepare_node_data(dataset)
    ours_times, pyg_times = [], []
    seed_everything(seed)
    ours = DGI(data.num_features, hidden)
    pyg = PyGDeepGraphInfomax(data.num_features, hidden)
    for model in (ours, pyg):  # warm-up: caches, allocator, first Adam step
        model.generator = make_generator(seed)
        train_full_batch(model, data, epochs=3, patience=None, progress=False)
    for _ in range(rounds):
        for model, times in ((ours, ours_times), (pyg, pyg_times)):
            model.generator = make_generator(seed)
            result = train_full_batch(model, data, epochs=epochs, patience=None, progress=False)
            times.append(result.seconds_per_epoch)
    return {"ours_seconds_per_epoch": statistics.median(ours_times),
            "pyg_seconds_per_epoch": statistics.median(pyg_times),
            "ours_rounds": ours_times, "pyg_rounds": pyg_times, "epochs_per_round": epochs}


def pyg_accuracy(dataset: str, hidden: int, seed: int) -> dict:
    """PyG's DeepGraphInfomax trained with the same early stopping, then the same linear probe."""
    from graphcl.eval import linear_probe

    seed_everything(seed)
    data = prepare_node_data(dataset)
    model = PyGDeepGraphInfomax(data.num_features, hidden)
    model.generator = make_generator(seed)
    result = train_full_batch(model, data, progress=False)
    model.eval()
    with torch.no_grad():
        z = model.model.encoder(data.x, data.edge_index)
    probe = linear_probe(z, data.y, data.train_mask, data.val_mask, data.test_mask,
                         generator=make_generator(seed))
    return {"test_mean": 100 * probe.test_mean, "test_std": 100 * probe.test_std, "epochs_run": result.epochs,
            "seconds_per_epoch": result.seconds_per_epoch}


def reference_record(kind: str, dataset: str, seed: int) -> dict:
    """A reference row: the probe on DGI's untrained encoder (seeded like the DGI row) or on the raw features."""
    seed_everything(seed)
    data = prepare_node_data(dataset)
    if kind == "untrained":
        model = build_node_method("dgi", data.num_features, default_hidden_channels(dataset),
                                  generator=make_generator(seed))
        embeddings = model.embed(data)
    else:
        embeddings = data.x
    probe = probe_node_embeddings(embeddings, data, seed=seed)
    return {"seed": seed, "accuracy": probe_record(probe), "epochs_run": 0, "seconds_per_epoch": 0.0,
            "embedding_dim": int(embeddings.size(1)), "environment": environment_info()}


def summarize(records: list[dict], tags: list[str]) -> str:
    runs = [r for r in records if r.get("tag") in tags]
    header = ["Dataset", "Method", "Test accuracy % (ours, mean ± std over seeds)", "Seeds", "Published",
              "Epochs (mean)", "s/epoch (ours)"]
    rows = []
    for dataset in ("Cora", "CiteSeer", "PubMed"):
        unavailable = [r for r in runs if r["kind"] == "unavailable" and r["dataset"] == dataset]
        if unavailable:
            rows.append([dataset, "—", "not available (raw files absent)", 0, "", "", ""])
            continue
        for method in ("dgi", "graphcl", *REFERENCES):
            by_seed = {r["seed"]: r for r in runs if r["kind"] == "accuracy" and r["dataset"] == dataset
                       and r["method"] == method}  # a later run of a seed replaces it
            accuracy = [by_seed[seed] for seed in sorted(by_seed)]
            if not accuracy:
                continue
            tests = [r["accuracy"]["test_mean"] for r in accuracy]
            epochs = mean_std([r["epochs_run"] for r in accuracy])[0]
            seconds = mean_std([r["seconds_per_epoch"] for r in accuracy])[0]
            training = (f"{epochs:.0f}", f"{seconds:.4f}") if method not in REFERENCES else ("no training", "—")
            rows.append([dataset, METHOD_LABEL[method], format_mean_std(tests), len(tests),
                         PUBLISHED.get((method, dataset), "—"), *training])
        for r in runs:
            if r["kind"] == "pyg_accuracy" and r["dataset"] == dataset:
                rows.append([dataset, "PyG DeepGraphInfomax (same setup)",
                             f"{r['pyg']['test_mean']:.2f} ± {r['pyg']['test_std']:.2f} (one seed, 50 probes)",
                             1, "81.6 (PyG's reproduction, unverified)", r["pyg"]["epochs_run"],
                             f"{r['pyg']['seconds_per_epoch']:.4f}"])
    text = markdown_table(header, rows)
    timing = [r for r in runs if r["kind"] == "timing"]
    if timing:
        text += "\nTraining speed, DGI, same process and alternating rounds (median seconds per epoch):\n\n"
        text += markdown_table(
            ["Dataset", "graphcl DGI", "PyG DeepGraphInfomax", "PyG / graphcl", "load average at start"],
            [[r["dataset"], f"{r['timing']['ours_seconds_per_epoch']:.4f}",
              f"{r['timing']['pyg_seconds_per_epoch']:.4f}",
              f"{r['timing']['pyg_seconds_per_epoch'] / r['timing']['ours_seconds_per_epoch']:.2f}×",
              " ".join(f"{v:.2f}" for v in r["load_average"])] for r in timing])
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer", "PubMed"])
    parser.add_argument("--methods", nargs="+", choices=["dgi", "graphcl", *REFERENCES],
                        default=["dgi", "graphcl", *REFERENCES])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--quick", action="store_true",
                        help="one seed on Cora, epochs capped at 50, short timing")
    parser.add_argument("--timing-epochs", type=int, default=20, help="epochs per timing round")
    parser.add_argument("--timing-rounds", type=int, default=5)
    parser.add_argument("--no-pyg-accuracy", action="store_true",
                        help="skip training PyG's DeepGraphInfomax to convergence (seed 0)")
    parser.add_argument("--no-timing", action="store_true", help="skip the timing against PyG")
    parser.add_argument("--tag", default=None, help="label of this run in the JSON lines (default: time)")
    parser.add_argument("--summarize", nargs="+", default=None, metavar="TAG",
                        help="only rewrite the table from the JSON lines of these runs")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    epochs_cap = 10000
    if args.quick:
        args.datasets, args.seeds, epochs_cap = ["Cora"], args.seeds[:1], 50
        args.timing_epochs, args.timing_rounds, args.no_pyg_accuracy = 5, 2, True
    out = Path(args.out)
    jsonl = out / "node_classification.jsonl"
    tag = args.tag or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    environment = environment_info()
    base = {"benchmark": "node_classification", "tag": tag, "quick": args.quick,
            "threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}

    if args.summarize:
        print(write_summary(out, read_jsonl(jsonl), args.summarize, "node_classification.md", environment))
        return
    for dataset in ([] if args.summarize else args.datasets):
        try:
            prepare_node_data(dataset)
        except DatasetNotFoundError:
            print(f"{dataset}: not available (raw files absent); skipped")
            append_jsonl(jsonl, {**base, "kind": "unavailable", "dataset": dataset, "environment": environment})
            continue
        hidden = default_hidden_channels(dataset)
        load = os.getloadavg()
        if not args.no_timing:
            timing = time_epochs(dataset, hidden, args.timing_epochs, args.timing_rounds, seed=args.seeds[0])
            print(f"{dataset}: s/epoch ours {timing['ours_seconds_per_epoch']:.4f}, "
                  f"PyG {timing['pyg_seconds_per_epoch']:.4f} (load {load[0]:.2f})")
            append_jsonl(jsonl, {**base, "kind": "timing", "dataset": dataset, "hidden_channels": hidden,
                                 "timing": timing, "load_average": load, "environment": environment})
        if not args.no_pyg_accuracy:
            pyg = pyg_accuracy(dataset, hidden, seed=args.seeds[0])
            print(f"{dataset}: PyG DeepGraphInfomax {pyg['test_mean']:.2f} ± {pyg['test_std']:.2f} "
                  f"after {pyg['epochs_run']} epochs")
            append_jsonl(jsonl, {**base, "kind": "pyg_accuracy", "dataset": dataset, "seed": args.seeds[0],
                                 "pyg": pyg, "load_average": os.getloadavg(), "environment": environment})
        for method in args.methods:
            for seed in args.seeds:
                load = os.getloadavg()
                if method in REFERENCES:
                    record = reference_record(method, dataset, seed)
                else:
                    _, record = run_node_pretraining(method=method, dataset=dataset, seed=seed, epochs=epochs_cap,
                                                     progress=False)
                print(f"{dataset} {method} seed {seed}: {record['accuracy']['test_mean']:.2f} ± "
                      f"{record['accuracy']['test_std']:.2f} after {record['epochs_run']} epochs, "
                      f"{record['seconds_per_epoch']:.4f} s/epoch (load {load[0]:.2f})")
                append_jsonl(jsonl, {**base, "kind": "accuracy", "dataset": dataset, "method": method,
                                     "load_average_start": load, **record})

    name = "node_classification_quick.md" if args.quick else "node_classification.md"
    print(write_summary(out, read_jsonl(jsonl), [tag], name, environment))


def write_summary(out: Path, records: list[dict], tags: list[str], name: str, environment: dict) -> str:
    """The table of the runs ``tags``, each listed with its command and commit, under the protocol card."""
    runs = []
    for run_tag in tags:
        first = next((r for r in records if r.get("tag") == run_tag), None)
        if first is None:
            raise SystemExit(f"no run tagged {run_tag!r} in the JSON lines")
        env = first.get("environment") or environment
        runs.append(f"`{run_tag}` (git {env['git_commit']}, {env['machine']['cpu']}, "
                    f"{first.get('threads')} torch thread(s))")
    summary = summarize(records, tags)
    header = (f"# Node classification (linear probe on frozen embeddings, public split)\n\n{PROTOCOL_CARD}\n"
              f"Runs: {'; '.join(runs)}. Commands: `python benchmarks/node_classification.py --seeds 0 1 2 3 4` "
              f"(pretrained rows and timing), `python benchmarks/node_classification.py --methods untrained "
              f"raw_features --no-timing --no-pyg-accuracy` (references); the table: `python "
              f"benchmarks/node_classification.py --summarize {' '.join(tags)}`.\n\n")
    atomic_write_text(out / name, header + summary)
    return summary


if __name__ == "__main__":
    main()
