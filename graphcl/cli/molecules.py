"""Molecular commands: ``pretrain-molecules``, ``pretrain-mocl`` and ``finetune``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from graphcl.data import load_moleculenet, load_smiles_corpus, moleculenet_csv
from graphcl.data.views import AugmentedViews
from graphcl.eval import evaluate_on_task, random_encoder_factory, summarize_seeds, task_split
from graphcl.methods.mocl import build_mocl
from graphcl.nn import MoleculeGINEncoder, load_encoder, save_encoder
from graphcl.predict import (
    FinetuneConfig, finetune_property_model, json_safe, load_property_model, read_molecule_table, write_predictions,
)
from graphcl.predict.property import check_featurizer
from graphcl.train import distributed_env
from graphcl.train.distributed import setup_distributed, teardown_distributed
from graphcl.train.loop import PRECISIONS, TrainingOptions, pretrain_options, train
from graphcl.train.molecules import MOLECULE_METHODS, build_molecule_method
from graphcl.utils import atomic_write_json, format_mean_std, resolve_device, seed_everything


def _encoder_args(parser: argparse.ArgumentParser, hidden: int, layers: int, p: float) -> None:
    parser.add_argument("--hidden-channels", type=int, default=hidden)
    parser.add_argument("--num-layers", type=int, default=layers)
    parser.add_argument("--dropout", type=float, default=p, help="encoder dropout during pretraining")
    parser.add_argument("--jumping-knowledge", default="last", choices=("last", "concat", "sum", "max"))


def _train_args(parser: argparse.ArgumentParser, epochs: int, batch_size: int) -> None:
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: 1e-3)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds model construction, data order and augmentations (default: 0)")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda (default: auto)")
    parser.add_argument("--precision", default=None, choices=PRECISIONS,
                        help="bf16: bfloat16 autocast with float32 master weights (default: fp32)")
    parser.add_argument("--num-workers", type=int, default=None, help="DataLoader worker processes (default: 0)")
    parser.add_argument("--checkpoint-dir", default=None, help="write last.pt here; resume from it")
    parser.add_argument("--checkpoint-every", type=int, default=None, help="a checkpoint every N epochs (default: 1)")
    parser.add_argument("--checkpoint-steps", type=int, default=None,
                        help="also a checkpoint every N optimizer steps (mid-epoch)")
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    parser.add_argument("--out", default=None, help="encoder file (default: CHECKPOINT_DIR/encoder.pt)")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--no-progress", action="store_true")


def _options(args) -> TrainingOptions:
    """The loop's options from the command line (flags not given keep the library defaults). On SIGTERM or
    SIGINT a run with ``--checkpoint-dir`` writes a checkpoint and prints the command that resumes it."""
    return pretrain_options(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                            device=args.device, precision=args.precision, num_workers=args.num_workers,
                            checkpoint_dir=args.checkpoint_dir, checkpoint_every=args.checkpoint_every,
                            checkpoint_steps=args.checkpoint_steps, resume=not args.no_resume,
                            progress=not args.no_progress, resume_command=getattr(args, "resume_command", None))


def _encoder(args):
    return MoleculeGINEncoder(hidden_channels=args.hidden_channels, num_layers=args.num_layers, p=args.dropout,
                              jumping_knowledge=args.jumping_knowledge,
                              featurizer=getattr(args, "featurizer", None) or "ogb")


def _finish(args, method, result, extra) -> int:
    rank, _, _ = distributed_env()
    if rank != 0:
        return 0
    out = Path(args.out) if args.out else (Path(args.checkpoint_dir) / "encoder.pt" if args.checkpoint_dir
                                          else None)
    if out is not None:
        save_encoder(method.encoder, out, extra={**extra, "history": result.history})
        print(f"encoder saved to {out}")
    last = result.history[-1] if result.history else {}
    print(f"{len(result.history)} epochs, last loss {last.get('loss', float('nan')):.4f}, "
          f"{result.seconds_per_epoch:.1f} s/epoch")
    return 0


def _load_once(args, load):
    """Under torchrun, rank 0 builds the dataset cache while the other ranks wait, then all read it."""
    import torch.distributed as dist

    context = setup_distributed(resolve_device(args.device or "auto"))
    if context.enabled and not context.is_main:
        dist.barrier()
    dataset = load()
    if context.enabled and context.is_main:
        dist.barrier()
    return dataset, context


def _pretrain_molecules(args: argparse.Namespace) -> int:
    dataset, context = _load_once(args, lambda: load_smiles_corpus(args.corpus, root=args.root, limit=args.limit,
                                                                  show_progress=not args.no_progress,
                                                                  featurizer=args.featurizer))
    seed_everything(args.seed)  # the encoder's initial weights come from --seed
    method = build_molecule_method(args.method, _encoder(args), p=args.aug_ratio, temperature=args.temperature,
                                   featurizer=args.featurizer, chem_subgraph=args.chem_subgraph)
    options = _options(args)
    result = train(method, dataset, options, config={"corpus": args.corpus, "limit": args.limit})
    try:
        return _finish(args, method, result, {"method": args.method, "corpus": args.corpus, "limit": args.limit,
                                              "epochs": args.epochs, "seed": args.seed,
                                              "precision": options.precision})
    finally:
        teardown_distributed(context)


def _pretrain_mocl(args: argparse.Namespace) -> int:
    dataset = load_moleculenet(args.dataset, root=args.root, featurizer=args.featurizer)
    if args.limit is not None:
        dataset = dataset[:args.limit]
    smiles = [dataset[i].smiles for i in range(len(dataset))]
    seed_everything(args.seed)  # the encoder's initial weights come from --seed
    method = build_mocl(smiles, encoder=_encoder(args), rules=args.rules, depth=args.depth,
                        global_mode=None if args.global_mode == "none" else args.global_mode, k=args.neighbours,
                        lam=args.lam, radius=args.radius, generator=torch.Generator().manual_seed(args.seed),
                        show_progress=not args.no_progress, featurizer=args.featurizer)
    options = _options(args)
    # with workers, the RDKit substitution runs in them (AugmentedViews), overlapping with the network
    data = AugmentedViews(dataset, method.substitution) if options.num_workers > 0 else dataset
    result = train(method, data, options, config={"dataset": args.dataset})
    return _finish(args, method, result, {"method": "mocl", "dataset": args.dataset, "seed": args.seed,
                                          "precision": options.precision, **method.config})


def _given(args: argparse.Namespace, *names: str) -> dict:
    """The options among ``names`` that the user gave (argparse leaves the others ``None``)."""
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def _finetune(args: argparse.Namespace) -> int:
    seed_everything(args.seed if args.seed is not None else 0)  # before anything is built
    if args.task is None and args.data is None:
        raise ValueError("give --data FILE.csv (your molecules) or --task NAME (a MoleculeNet task)")
    if args.task is not None and args.data is not None:
        raise ValueError("give either --data or --task, not both")
    if args.data is None:
        path, canonical, task_type = moleculenet_csv(args.task, args.root)
        if args.task_type is not None and args.task_type != task_type:
            raise ValueError(f"{canonical} is a {task_type} task, not {args.task_type}")
        if task_type == "classification" and args.save_dir is None:
            return _finetune_moleculenet(args)
        return _finetune_table(args, path, task_type, name=canonical)
    if args.task_type is None:
        raise ValueError("--task-type classification|regression is required with --data")
    return _finetune_table(args, Path(args.data), args.task_type, name=Path(args.data).name)


def _finetune_table(args: argparse.Namespace, path: Path, task_type: str, name: str) -> int:
    """Fine-tune on a CSV (the user's, or a MoleculeNet file): one seed, a model folder, metrics."""
    import warnings

    if args.protocol not in (None, "finetune") or args.label_fraction is not None:
        raise ValueError("--protocol and --label-fraction apply to the MoleculeNet classification protocol only")
    if args.seeds is not None:
        raise ValueError("--seeds applies to the MoleculeNet classification protocol; use --seed here")
    table = read_molecule_table(path, args.smiles_column, args.target_columns)
    config = FinetuneConfig.from_dict(_given(args, "hidden_channels", "num_layers", "featurizer", "epochs", "lr",
                                             "batch_size", "dropout", "weight_decay", "split", "split_seed",
                                             "seed", "precision"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = finetune_property_model(table.smiles, table.targets, task_type, table.target_columns,
                                        encoder=args.checkpoint, config=config, lines=table.lines,
                                        device=args.device or "auto", progress=not args.no_progress)
    model.config.update(data=str(path), smiles_column=table.smiles_column)
    if args.save_dir:
        model.save(args.save_dir)
    for warning in caught:
        if not str(warning.message).startswith("skipped"):  # invalid SMILES are summarized below
            print(f"warning: {warning.message}", file=sys.stderr)
    metrics = model.metrics
    invalid = metrics["invalid_smiles"]
    if invalid["count"]:
        more = " ..." if invalid["count"] > len(invalid["lines"]) else ""
        print(f"{name}: {invalid['count']} of {invalid['of']} SMILES could not be featurized and were skipped "
              f"(lines {', '.join(map(str, invalid['lines']))}{more})", file=sys.stderr)
    sizes = metrics["num_molecules"]
    print(f"{name} [{task_type}, {model.config['split']} split {sizes['train']}/{sizes['valid']}/{sizes['test']}, "
          f"featurizer {model.featurizer}, best epoch {metrics['best_epoch']}]")
    for split in ("valid", "test"):
        scores = metrics[split]
        if task_type == "regression":
            print(f"  {split}: RMSE {scores['rmse']:.4f}  MAE {scores['mae']:.4f}  R2 {scores['r2']:.4f}")
        else:
            skipped = f" ({scores['tasks_skipped']} task(s) without both classes skipped)" \
                if scores["tasks_skipped"] else ""
            print(f"  {split}: ROC-AUC {scores['roc_auc']:.4f}{skipped}")
    if args.save_dir:
        print(f"model saved to {args.save_dir}")
    if args.out:
        atomic_write_json(args.out, json_safe({"data": str(path), "config": model.config, "metrics": metrics}))
    return 0


def _finetune_moleculenet(args: argparse.Namespace) -> int:
    """The transfer protocol on a MoleculeNet classification task, over several seeds."""
    if args.target_columns or args.smiles_column:
        raise ValueError("--smiles-column and --target-columns apply to --data files")
    split_name = args.split or "scaffold"
    protocol = args.protocol or "finetune"
    seeds = args.seeds if args.seeds is not None else ([args.seed] if args.seed is not None else list(range(10)))
    if args.checkpoint:
        encoder = load_encoder(args.checkpoint)
        featurizer = check_featurizer(encoder.config.get("featurizer", "ogb"), args.featurizer)
        name = str(args.checkpoint)
    else:
        featurizer = args.featurizer or "ogb"
        encoder = random_encoder_factory(MoleculeGINEncoder, featurizer=featurizer,
                                         **_given(args, "hidden_channels", "num_layers"))
        name = "no pretraining"
    dataset = load_moleculenet(args.task, root=args.root, featurizer=featurizer)
    split = task_split(dataset, split_name, seed=args.split_seed or 0)
    options = _given(args, "epochs", "lr", "batch_size", "label_fraction", "precision")
    if args.dropout is not None:
        options["p"] = args.dropout
    results = evaluate_on_task(encoder, dataset, split, seeds=seeds, protocol=protocol,
                               device=args.device or "auto", progress=not args.no_progress, **options)
    summary = summarize_seeds(results)
    print(f"{args.task} [{protocol}, {split_name} split] {name}: test ROC-AUC "
          f"{format_mean_std([r.test for r in results], scale=100)} over {len(results)} seeds "
          f"(valid {format_mean_std([r.valid for r in results], scale=100)})")
    if args.out:
        atomic_write_json(args.out, {"task": args.task, "encoder": name, "protocol": protocol,
                                     "split": split_name, "featurizer": featurizer, "summary": summary,
                                     "runs": [r.as_dict() for r in results]})
    return 0


def _training_column(path: str, column: str | None) -> str | None:
    """``column`` if the CSV at ``path`` has it, else ``None`` (auto-detect)."""
    import pandas as pd

    if column is None or ".csv" not in [s.lower() for s in Path(path).suffixes] or not Path(path).is_file():
        return None
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        return None
    return column if column in [str(c) for c in header] else None


def _predict(args: argparse.Namespace) -> int:
    model = load_property_model(args.model)
    column = args.smiles_column
    if column is None:
        # the column the model was trained on, when this file has it; else one named smiles or mol
        column = _training_column(args.data, model.config.get("smiles_column"))
    table = read_molecule_table(args.data, column, with_targets=False)
    path, failed = write_predictions(model, table, args.out, device=args.device or "cpu")
    print(f"{len(table)} rows predicted to {path}" + (f"; {failed} row(s) could not be featurized (reason in "
                                                      f"the error column)" if failed else ""))
    if failed:
        print(f"{failed} of {len(table)} SMILES could not be featurized: predictions left empty, reason in the "
              f"`error` column of {path}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("pretrain-molecules", help="pretrain a molecular GIN on a SMILES corpus "
                                   "(GraphCL, JOAO, JOAOv2); runs under torchrun too")
    parser.add_argument("--method", default="graphcl", choices=MOLECULE_METHODS)
    parser.add_argument("--corpus", default="zinc250k", help="'zinc250k' or a SMILES file")
    parser.add_argument("--limit", type=int, default=None, help="use the first N molecules")
    parser.add_argument("--aug-ratio", type=float, default=0.2)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--featurizer", default="ogb", choices=("ogb", "hu2020"),
                        help="atom/bond features: OGB's 9/3 or pretrain-gnns' 2/2 (Hu et al. 2020); stored in the "
                             "encoder checkpoint")
    parser.add_argument("--chem-subgraph", action="store_true",
                        help="GraphCL: the official chemistry subgraph, which keeps 20 %% of the atoms "
                             "(default: keeps 80 %%, as the paper states)")
    _encoder_args(parser, 300, 5, 0.0)
    _train_args(parser, epochs=100, batch_size=256)
    parser.set_defaults(func=_pretrain_molecules)

    parser = subparsers.add_parser("pretrain-mocl", help="MoCL pretraining on a MoleculeNet dataset itself")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--limit", type=int, default=None, help="use the first N molecules")
    parser.add_argument("--rules", default=None, help="rule file (e.g. MoCL's JSON); default: built-in rules")
    parser.add_argument("--depth", type=int, default=1, help="DK-k: substitutions in sequence")
    parser.add_argument("--global-mode", default="none", choices=("none", "contrast", "regression"))
    parser.add_argument("--neighbours", type=int, default=50, help="top-k fingerprint neighbours")
    parser.add_argument("--lam", type=float, default=1.0, help="weight of the global loss")
    parser.add_argument("--radius", type=int, default=3, help="Morgan fingerprint radius")
    parser.add_argument("--featurizer", default="ogb", choices=("ogb", "hu2020"),
                        help="atom/bond features of the molecules and of the substituted views (stored in the "
                             "encoder checkpoint)")
    _encoder_args(parser, 512, 3, 0.5)
    _train_args(parser, epochs=100, batch_size=32)
    parser.set_defaults(func=_pretrain_mocl)

    parser = subparsers.add_parser(
        "finetune", help="fine-tune an encoder on your CSV (--data) or a MoleculeNet task (--task)",
        description="Fine-tune a molecular encoder with a linear head. With --data, on your own CSV "
                    "(chemprop conventions: a SMILES column, one column per target, empty cell = missing "
                    "label) and --save-dir writes a model folder for `graphcl predict`. With --task, on a "
                    "MoleculeNet task (classification tasks: the multi-seed transfer protocol).")
    source = parser.add_argument_group("data")
    source.add_argument("--data", default=None, help="CSV with a SMILES column and target columns")
    source.add_argument("--task", default=None, help="MoleculeNet task: bbbp, tox21, toxcast, sider, clintox, muv, "
                        "hiv, bace, esol, freesolv, lipophilicity")
    source.add_argument("--smiles-column", default=None, help="default: the column named smiles or mol")
    source.add_argument("--target-columns", nargs="+", default=None, help="default: every other column")
    source.add_argument("--task-type", default=None, choices=("classification", "regression"))
    # chemprop's spellings, accepted but not advertised
    source.add_argument("--data-path", dest="data", help=argparse.SUPPRESS)
    source.add_argument("--dataset-type", dest="task_type", choices=("classification", "regression"),
                        help=argparse.SUPPRESS)
    source.add_argument("--smiles-columns", dest="smiles_column", help=argparse.SUPPRESS)
    source.add_argument("--split", default=None, choices=("scaffold", "random"), help="default: scaffold")
    source.add_argument("--split-seed", type=int, default=None, help="seed of the random split (default: --seed)")
    source.add_argument("--featurizer", default=None, choices=("ogb", "hu2020"),
                        help="default: the checkpoint's, else ogb")
    model = parser.add_argument_group("model and training (defaults: graphcl.predict.FinetuneConfig)")
    model.add_argument("--checkpoint", default=None, help="encoder file; omit for no pretraining")
    model.add_argument("--hidden-channels", type=int, default=None, help="encoder width without --checkpoint")
    model.add_argument("--num-layers", type=int, default=None, help="encoder depth without --checkpoint")
    model.add_argument("--epochs", type=int, default=None)
    model.add_argument("--lr", type=float, default=None)
    model.add_argument("--batch-size", type=int, default=None)
    model.add_argument("--dropout", type=float, default=None)
    model.add_argument("--weight-decay", type=float, default=None)
    model.add_argument("--precision", default=None, choices=("fp32", "bf16"),
                       help="bf16: bfloat16 autocast, float32 weights (default: fp32)")
    model.add_argument("--seed", type=int, default=None, help="seeds everything before the model is built")
    model.add_argument("--device", default=None, help="auto, cpu, cuda (default: auto)")
    output = parser.add_argument_group("output")
    output.add_argument("--save-dir", default=None, help="write the model folder (for `graphcl predict`) here")
    output.add_argument("--out", default=None, help="write the metrics (JSON) to this file")
    output.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    output.add_argument("--no-progress", action="store_true")
    protocol = parser.add_argument_group("MoleculeNet classification protocol (--task only)")
    protocol.add_argument("--protocol", default=None, choices=("finetune", "linear"))
    protocol.add_argument("--label-fraction", type=float, default=None, help="share of training labels (MoCL: 0.05)")
    protocol.add_argument("--seeds", type=int, nargs="+", default=None, help="default: 0 to 9")
    parser.set_defaults(func=_finetune)

    parser = subparsers.add_parser("predict", help="predict with a model folder written by finetune --save-dir",
                                   description="One output row per input row, in order: the input columns, "
                                               "<target>_pred per target (probabilities for classification, "
                                               "the targets' units for regression) and an error column.")
    parser.add_argument("--model", required=True, help="folder written by `graphcl finetune --save-dir`")
    parser.add_argument("--data", required=True, help="CSV with a SMILES column, or a SMILES list")
    parser.add_argument("--out", required=True, help="predictions CSV to write")
    parser.add_argument("--smiles-column", default=None, help="default: the training column, else smiles or mol")
    parser.add_argument("--device", default=None, help="default: cpu")
    parser.set_defaults(func=_predict)
