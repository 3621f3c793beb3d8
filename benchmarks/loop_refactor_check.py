"""Same numbers before and after the training-loop refactor: DGI, CG3 and generic pretraining.

Runs one set of seeded trainings with the working tree and with a reference commit (extracted with
``git archive``), each in its own process, on the CPU with one thread, and compares loss histories, early
stopping, metrics and weights exactly.

    python benchmarks/loop_refactor_check.py                      # against 7fb7b83, ~2 minutes
    python benchmarks/loop_refactor_check.py --protocol           # + DGI on Cora to convergence with the
                                                                  #   linear probe, CG3 on Cora 100 epochs
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


def record(out: str, data_root: str, protocol: bool) -> None:
    """Train everything with the graphcl found first on sys.path (the tree under test) and save the results."""
    from torch_geometric.loader import DataLoader  # noqa: F401  (same import order in both trees)

    from graphcl.data import load_planetoid, load_smiles_corpus
    from graphcl.methods import DGI, train_full_batch
    from graphcl.methods.cg3 import CG3, train_cg3
    from graphcl.nn import MoleculeGINEncoder
    from graphcl.train import pretrain
    from graphcl.train.molecules import build_molecule_method
    from graphcl.utils import seed_everything
    from tests.methods.test_cg3 import _graph, _model
    from tests.methods.test_dgi import sbm_graph
    from tests.train.train_helpers import NoisyViews, random_graphs

    torch.set_num_threads(1)
    runs = {}
    started = time.perf_counter()
    graph = sbm_graph()
    torch.manual_seed(0)  # the GCN's initial weights
    method = DGI(24, 32, generator=torch.Generator().manual_seed(0))
    r = train_full_batch(method, graph, epochs=200, lr=0.01, patience=5, progress=False)
    runs["dgi_sbm_patience5"] = {"losses": r.losses, "best_epoch": r.best_epoch, "stopped_early": r.stopped_early,
                                 "weights": method.state_dict()}
    cora = load_planetoid("Cora", root=data_root)
    torch.manual_seed(0)
    method = DGI(cora.num_features, 512, generator=torch.Generator().manual_seed(0))
    r = train_full_batch(method, cora, epochs=60, progress=False)
    runs["dgi_cora_60ep"] = {"losses": r.losses, "best_epoch": r.best_epoch, "weights": method.state_dict()}
    graph = _graph()
    torch.manual_seed(0)
    model = _model(graph)
    r = train_cg3(model, graph, epochs=200, patience=10, weight_decay=5e-4, device="cpu", progress=False,
                  record_test=True)
    runs["cg3_sbm_patience10"] = {"history": r.history, "best_epoch": r.best_epoch, "epochs_run": r.epochs_run,
                                  "test_accuracy": r.test_accuracy, "weights": model.state_dict()}
    torch.manual_seed(1)
    model = CG3(cora.num_features, 7, hidden_channels=64, num_levels=2)
    r = train_cg3(model, cora, epochs=15, device="cpu", progress=False)
    runs["cg3_cora_15ep"] = {"history": r.history, "best_epoch": r.best_epoch, "test_accuracy": r.test_accuracy,
                             "weights": model.state_dict()}
    corpus = Path(data_root) / "loop_check_corpus.smi"
    corpus.write_text("\n".join(["CCO", "CCN", "c1ccccc1O", "CC(=O)O", "CCCC", "OCCO", "CNC", "C1CCCCC1",
                                 "CC(C)Cc1ccc(C)cc1", "O=C(O)c1ccccc1"] * 3))
    molecules = load_smiles_corpus(str(corpus), root=data_root, show_progress=False)
    torch.manual_seed(3)
    method = build_molecule_method("graphcl", MoleculeGINEncoder(hidden_channels=16, num_layers=2))
    r = pretrain(method, molecules, epochs=3, batch_size=8, progress=False, seed=3)
    runs["pretrain_graphcl_molecules"] = {"losses": r.losses, "weights": method.state_dict()}
    torch.manual_seed(7)
    method = NoisyViews()
    r = pretrain(method, random_graphs(20), epochs=3, batch_size=6, progress=False, seed=7)
    runs["pretrain_noisy_views"] = {"losses": r.losses, "weights": method.state_dict()}
    if protocol:
        from graphcl.cli.node import run_node_pretraining

        method, rec = run_node_pretraining("dgi", "Cora", seed=0, progress=False, root=data_root, device="cpu")
        runs["dgi_cora_protocol_seed0"] = {"test_mean": rec["accuracy"]["test_mean"],
                                           "epochs_run": rec["epochs_run"], "best_epoch": rec["best_epoch"],
                                           "weights": method.state_dict()}
        seed_everything(0)
        model = CG3(cora.num_features, 7)
        r = train_cg3(model, cora, epochs=100, device="cpu", progress=False)
        runs["cg3_cora_100ep_seed0"] = {"test_accuracy": r.test_accuracy, "valid_accuracy": r.valid_accuracy,
                                        "best_epoch": r.best_epoch, "history": r.history,
                                        "weights": model.state_dict()}
    runs["_seconds"] = time.perf_counter() - started
    torch.save(runs, out)


def max_difference(a, b, path: str = "") -> float:
    """Largest absolute difference between two nested results; raises on a structural difference."""
    if isinstance(a, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise AssertionError(f"{path}: {a.shape}/{a.dtype} vs {b.shape}/{b.dtype}")
        return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
    if isinstance(a, dict):
        if set(a) != set(b):
            raise AssertionError(f"{path}: keys differ: {sorted(set(a) ^ set(b))}")
        return max([max_difference(a[k], b[k], f"{path}.{k}") for k in a] or [0.0])
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise AssertionError(f"{path}: {len(a)} vs {len(b)} entries")
        return max([max_difference(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b))] or [0.0])
    if isinstance(a, float):
        return abs(a - b)
    if a != b:
        raise AssertionError(f"{path}: {a!r} vs {b!r}")
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", default="7fb7b83", help="commit before the refactor")
    parser.add_argument("--protocol", action="store_true", help="also the longer protocol runs (~7 minutes)")
    parser.add_argument("--out", default=str(RESULTS / "loop_refactor_check"))
    parser.add_argument("--record", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data-root", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record:
        record(args.record, args.data_root, args.protocol)
        return

    from graphcl.utils import append_jsonl, atomic_write_text, environment_info, markdown_table

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        reference = work / "reference"
        reference.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.reference], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(reference)
        results = {}
        for name, tree in (("reference", reference), ("current", REPO)):
            env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "GRAPHCL_NO_PROGRESS": "1"}
            data_root = work / f"data-{name}"
            out = work / f"{name}.pt"
            command = [sys.executable, str(Path(__file__).resolve()), "--record", str(out), "--data-root",
                       str(data_root)] + (["--protocol"] if args.protocol else [])
            subprocess.run(command, check=True, env=env, cwd=tree)
            results[name] = torch.load(out, weights_only=False)
    env = environment_info()
    rows = []
    for key, before in results["reference"].items():
        if key.startswith("_"):
            continue
        after = results["current"][key]
        difference = max_difference(before, after, key)
        losses = before.get("losses") or [h["loss"] for h in before.get("history", [])]
        metric = next((f"{k} {before[k]:.4f}" for k in ("test_mean", "test_accuracy") if k in before), "")
        record_ = {"run": key, "max_abs_difference": difference, "epochs": len(losses) or before.get("epochs_run"),
                   "metric": metric, "reference": args.reference, "environment": env}
        append_jsonl(f"{args.out}.jsonl", record_)
        rows.append([key, record_["epochs"], metric, f"{difference:g}"])
        print(f"{key}: max |difference| over losses, metrics and weights = {difference:g}")
    table = markdown_table(["run", "epochs", "metric (reference)", "max abs(after - before)"], rows)
    header = (f"# Training-loop refactor: same numbers\n\nEvery run seeded, CPU, one thread; reference commit "
              f"{args.reference} against commit {env['git_commit']}; losses, early-stopping epochs, metrics and "
              f"every weight compared exactly. Total {time.perf_counter() - started:.0f} s on "
              f"{env['machine']['cpu_count']} cores. Command: `python benchmarks/loop_refactor_check.py"
              f"{' --protocol' if args.protocol else ''}`.\n\n")
    atomic_write_text(f"{args.out}.md", header + table + "\n")
    print(header + table)


if __name__ == "__main__":
    main()
