"""Substructure substitution (MoCL's DK-k) on ZINC250k with graphcl's rule set and MoCL's original one.

For each rule set: share of molecules with at least one applicable rule, applicability-index speed,
DK-k sampling speed, validity of the augmented molecules (RDKit parse + OGB featurization), the share of
raw reaction products that fail sanitization (rejected and retried), and a same-seed/same-views check.

    PYTHONPATH=. python benchmarks/substitution.py --seeds 0 1 2
    PYTHONPATH=. python benchmarks/substitution.py --quick
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from graphcl.augment import SubstructureSubstitution, build_applicability_index, default_rules, load_rules
from graphcl.utils import (append_jsonl, atomic_write_text, environment_info, format_mean_std, markdown_table,
                           peak_memory_mb, progress, seed_everything)

RESULTS = Path(__file__).resolve().parent / "results"
CARBON_TAGS = {"add c", "drop c"}


def zinc_smiles(limit: int) -> list[str]:
    """The first ``limit`` ZINC250k SMILES, through the data layer (data root / mirror, cached)."""
    from graphcl.data import load_smiles_corpus

    return list(load_smiles_corpus("zinc250k", limit=limit).smiles)


def valid_and_featurizable(smiles: list[str]) -> tuple[float, float]:
    """Share of SMILES that RDKit parses and that OGB's smiles2graph featurizes; featurization seconds."""
    from ogb.utils import smiles2graph
    from rdkit import Chem

    ok = 0
    start = time.perf_counter()
    for s in smiles:
        if Chem.MolFromSmiles(s) is None:
            continue
        graph = smiles2graph(s)
        if graph["node_feat"].shape[0] > 0 and graph["node_feat"].shape[1] == 9:
            ok += 1
    return ok / max(len(smiles), 1), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-molecules", type=int, default=10_000)
    parser.add_argument("--mocl-rules", type=Path, default=None,
                        help="MoCL's rule JSON (default: $GRAPHCL_DATASET_MIRROR/MoCL/isostere_transformations_new.json)")
    parser.add_argument("--k", type=int, nargs="+", default=[1], help="substitution depths (DK-k)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="500 molecules, one seed")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.num_molecules, args.seeds = 500, args.seeds[:1]
    mocl_path = args.mocl_rules
    if mocl_path is None and os.environ.get("GRAPHCL_DATASET_MIRROR"):
        mocl_path = Path(os.environ["GRAPHCL_DATASET_MIRROR"]) / "MoCL" / "isostere_transformations_new.json"
    rule_sets = {"graphcl (own)": default_rules()}
    if mocl_path is not None and mocl_path.is_file():
        rule_sets["MoCL (original)"] = load_rules(mocl_path)
    else:
        print(f"MoCL rules not found at {mocl_path}; running the graphcl rules only")

    smiles = zinc_smiles(args.num_molecules)
    jsonl = args.results / ("substitution_quick.jsonl" if args.quick else "substitution.jsonl")
    env = environment_info()
    rows = []
    for set_name, rules in rule_sets.items():
        index = build_applicability_index(smiles, rules, cache_dir=None, show_progress=True)
        carbon = torch.tensor([bool(CARBON_TAGS & {t.lower() for t in rule.tags}) for rule in rules])
        isostere_rows = torch.zeros(len(smiles), dtype=torch.long)
        molecule_of_entry = torch.repeat_interleave(torch.arange(len(smiles)), index.counts())
        isostere_rows.index_add_(0, molecule_of_entry, (~carbon[index.indices]).long())
        coverage_isostere = float((isostere_rows > 0).double().mean())
        index_rate = len(smiles) / index.seconds
        for k in args.k:
            rates, validity, changed, rejected_share = [], [], [], []
            for seed in args.seeds:
                seed_everything(seed)
                aug = SubstructureSubstitution(rules, k=k, generator=torch.Generator().manual_seed(seed))
                aug.index = index
                start = time.perf_counter()
                views = [aug(s) for s in progress(smiles, desc=f"DK-{k} {set_name} seed {seed}")]
                seconds = time.perf_counter() - start
                valid, featurize_seconds = valid_and_featurizable(views)
                stats = dict(aug.stats)
                tried = stats.get("substitutions", 0) + stats.get("rejected_products", 0) + \
                    stats.get("identical_products", 0)
                rejected = stats.get("rejected_products", 0) / max(tried, 1)
                changed_share = 1.0 - stats.get("unchanged", 0) / len(smiles)
                # Same seed, same views: rerun the first molecules with a fresh generator.
                check = SubstructureSubstitution(rules, k=k, generator=torch.Generator().manual_seed(seed))
                check.index = index
                same = [check(s) for s in smiles[:200]] == views[:200]
                rates.append(len(smiles) / seconds)
                validity.append(valid)
                changed.append(changed_share)
                rejected_share.append(rejected)
                record = {
                    "benchmark": "substitution", "rule_set": set_name, "num_rules": len(rules), "k": k,
                    "seed": seed, "num_molecules": len(smiles), "quick": args.quick,
                    "coverage": index.coverage(), "coverage_isostere_rules": coverage_isostere,
                    "mean_applicable_rules": float(index.counts().double().mean()),
                    "invalid_input_smiles": int(index.invalid.numel()),
                    "index_seconds": index.seconds, "index_molecules_per_s": index_rate,
                    "sampling_seconds": seconds, "sampling_molecules_per_s": len(smiles) / seconds,
                    "featurize_seconds": featurize_seconds, "valid_and_featurizable": valid,
                    "changed_share": changed_share, "raw_product_rejection_share": rejected,
                    "same_seed_same_views": same, "stats": stats, "peak_memory_mb": peak_memory_mb(),
                    "environment": env,
                }
                append_jsonl(jsonl, record)
                print(f"{set_name} DK-{k} seed {seed}: coverage {index.coverage():.4f}, valid {valid:.4f}, "
                      f"changed {changed_share:.4f}, {len(smiles) / seconds:.0f} mol/s, same views {same}")
            rows.append([set_name, len(rules), f"DK-{k}", f"{100 * index.coverage():.2f}",
                         f"{100 * coverage_isostere:.2f}", f"{float(index.counts().double().mean()):.1f}",
                         f"{index_rate:.0f}", format_mean_std(rates, digits=0),
                         format_mean_std(validity, scale=100), format_mean_std(changed, scale=100),
                         format_mean_std(rejected_share, scale=100)])
    summary = (
        f"# Substructure substitution on the first {len(smiles)} ZINC250k molecules\n\n"
        f"Seeds {args.seeds}; load average {env['machine'].get('load_average')}; commit {env['git_commit']}; "
        f"single process on {env['machine']['cpu']}.{' QUICK MODE.' if args.quick else ''}\n\n"
        "Coverage: molecules with at least one applicable rule (all rules / without add-drop-carbon rules). "
        "Valid: augmented molecules that RDKit parses and OGB featurizes. Changed: molecules that received at "
        "least one substitution. Rejected: share of the drawn raw reaction products that failed sanitization "
        "and were replaced by another draw.\n\n"
        + markdown_table(["rule set", "rules", "depth", "coverage %", "coverage w/o add/drop C %",
                          "rules per molecule", "index mol/s", "sampling mol/s", "valid %", "changed %",
                          "rejected products %"], rows)
    )
    atomic_write_text(args.results / ("substitution_quick.md" if args.quick else "substitution.md"), summary)
    print(summary)


if __name__ == "__main__":
    main()
