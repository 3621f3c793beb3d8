"""``graphcl data``: load a dataset (Planetoid, TU, MoleculeNet or a SMILES corpus) and print its statistics."""
from __future__ import annotations

import argparse
import time

from graphcl.data import MOLECULENET_TASKS, load_moleculenet, load_planetoid, load_smiles_corpus, load_tu
from graphcl.data._storage import node_offsets, stored_graphs
from graphcl.data.molecules import moleculenet_name
from graphcl.data.planetoid import PLANETOID_NAMES


def _describe(name: str, root: str | None, limit: int | None) -> str:
    key = name.lower()
    if key in PLANETOID_NAMES:
        data = load_planetoid(name, root=root)
        return (
            f"{name}: {data.num_nodes} nodes, {data.num_edges} edges, {data.num_features} features, "
            f"{int(data.y.max()) + 1} classes, split {int(data.train_mask.sum())}/"
            f"{int(data.val_mask.sum())}/{int(data.test_mask.sum())}"
        )
    try:
        molecule_name = moleculenet_name(name)
    except ValueError:
        molecule_name = None
    if molecule_name is not None and molecule_name in MOLECULENET_TASKS:
        dataset = load_moleculenet(name, root=root)
        return (
            f"{name}: {len(dataset)} molecules, {dataset.num_tasks} {dataset.task_type} task(s), "
            f"{dataset.invalid_smiles.count if dataset.invalid_smiles else 0} invalid SMILES skipped"
        )
    if key == "zinc250k" or name.endswith((".smi", ".txt", ".gz", ".csv")):
        dataset = load_smiles_corpus(name, root=root, limit=limit)
        return f"{name}: {len(dataset)} molecules"
    dataset = load_tu(name, root=root)
    return (
        f"{name}: {len(dataset)} graphs, {int(node_offsets(dataset)[-1])} nodes, "
        f"{int(stored_graphs(dataset)[0].edge_index.size(1))} directed edges, {dataset.num_features} node features, "
        f"{dataset.num_classes} classes"
    )


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    print(_describe(args.dataset, args.root, args.limit))
    print(f"loaded in {time.perf_counter() - start:.2f} s")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "data", help="load a dataset and print its statistics",
        description="Planetoid (Cora, CiteSeer, PubMed), TU names (MUTAG, PROTEINS, COLLAB, ...), MoleculeNet "
                    "tasks (BBBP, Tox21, ...), 'zinc250k' or a SMILES file.",
    )
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--limit", type=int, default=None, help="first N molecules of a SMILES corpus")
    parser.set_defaults(func=_run)
