"""Molecular commands: ``pretrain-molecules``, ``pretrain-mocl`` and ``finetune``."""
from __future__ import annotations

import argparse
from pathlib import Path


def _encoder_args(parser: argparse.ArgumentParser, hidden: int, layers: int, p: float) -> None:
    parser.add_argument("--hidden-channels", type=int, default=hidden)
    parser.add_argument("--num-layers", type=int, default=layers)
    parser.add_argument("--dropout", type=float, default=p, help="encoder dropout during pretraining")
    parser.add_argument("--jumping-knowledge", default="last", choices=("last", "concat", "sum", "max"))


def _train_args(parser: argparse.ArgumentParser, epochs: int, batch_size: int) -> None:
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--checkpoint-dir", default=None, help="write last.pt here; resume from it")
    parser.add_argument("--checkpoint-every", type=int, default=1)
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    parser.add_argument("--out", default=None, help="encoder file (default: CHECKPOINT_DIR/encoder.pt)")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--no-progress", action="store_true")


def _encoder(args):
    from graphcl.nn import MoleculeGINEncoder

    return MoleculeGINEncoder(hidden_channels=args.hidden_channels, num_layers=args.num_layers, p=args.dropout,
                              jumping_knowledge=args.jumping_knowledge)


def _finish(args, method, result, extra) -> int:
    from graphcl.nn import save_encoder
    from graphcl.train import distributed_env

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

    from graphcl.train.distributed import setup_distributed
    from graphcl.utils import resolve_device

    context = setup_distributed(resolve_device(args.device))
    if context.enabled and not context.is_main:
        dist.barrier()
    dataset = load()
    if context.enabled and context.is_main:
        dist.barrier()
    return dataset, context


def _pretrain_molecules(args: argparse.Namespace) -> int:
    from graphcl.data import load_smiles_corpus
    from graphcl.train import pretrain
    from graphcl.train.distributed import teardown_distributed
    from graphcl.train.molecules import build_molecule_method
    from graphcl.utils import seed_everything

    dataset, context = _load_once(args, lambda: load_smiles_corpus(args.corpus, root=args.root, limit=args.limit,
                                                                  show_progress=not args.no_progress))
    seed_everything(args.seed)  # before building the encoder: --seed fixes the initial weights too
    method = build_molecule_method(args.method, _encoder(args), p=args.aug_ratio, temperature=args.temperature)
    result = pretrain(method, dataset, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                      device=args.device, checkpoint_dir=args.checkpoint_dir,
                      checkpoint_every=args.checkpoint_every, resume=not args.no_resume,
                      progress=not args.no_progress, seed=args.seed,
                      config={"corpus": args.corpus, "limit": args.limit})
    try:
        return _finish(args, method, result, {"method": args.method, "corpus": args.corpus, "limit": args.limit,
                                              "epochs": args.epochs})
    finally:
        teardown_distributed(context)


def _pretrain_mocl(args: argparse.Namespace) -> int:
    import torch

    from graphcl.data import load_moleculenet
    from graphcl.methods.mocl import build_mocl
    from graphcl.train import pretrain
    from graphcl.utils import seed_everything

    dataset = load_moleculenet(args.dataset, root=args.root)
    smiles = [dataset[i].smiles for i in range(len(dataset))]
    seed_everything(args.seed)  # before building the encoder: --seed fixes the initial weights too
    method = build_mocl(smiles, encoder=_encoder(args), rules=args.rules, depth=args.depth,
                        global_mode=None if args.global_mode == "none" else args.global_mode, k=args.neighbours,
                        lam=args.lam, radius=args.radius, generator=torch.Generator().manual_seed(args.seed),
                        show_progress=not args.no_progress)
    result = pretrain(method, dataset, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                      device=args.device, checkpoint_dir=args.checkpoint_dir,
                      checkpoint_every=args.checkpoint_every, resume=not args.no_resume,
                      progress=not args.no_progress, seed=args.seed, config={"dataset": args.dataset})
    return _finish(args, method, result, {"method": "mocl", "dataset": args.dataset, **method.config})


def _finetune(args: argparse.Namespace) -> int:
    from graphcl.data import load_moleculenet
    from graphcl.eval import evaluate_on_task, random_encoder_factory, summarize_seeds, task_split
    from graphcl.nn import MoleculeGINEncoder, load_encoder
    from graphcl.utils import atomic_write_json, format_mean_std

    dataset = load_moleculenet(args.task, root=args.root)
    if dataset.task_type != "classification":
        raise ValueError(f"{args.task} is a {dataset.task_type} task; finetune scores ROC-AUC on classification")
    split = task_split(dataset, args.split, seed=args.split_seed)
    if args.checkpoint:
        encoder = load_encoder(args.checkpoint)
        name = str(args.checkpoint)
    else:
        encoder = random_encoder_factory(MoleculeGINEncoder, hidden_channels=args.hidden_channels,
                                         num_layers=args.num_layers)
        name = "no pretraining"
    results = evaluate_on_task(encoder, dataset, split, seeds=args.seeds, protocol=args.protocol,
                               epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                               label_fraction=args.label_fraction, device=args.device,
                               progress=not args.no_progress)
    summary = summarize_seeds(results)
    print(f"{args.task} [{args.protocol}, {args.split} split] {name}: test ROC-AUC "
          f"{format_mean_std([r.test for r in results], scale=100)} over {len(results)} seeds "
          f"(valid {format_mean_std([r.valid for r in results], scale=100)})")
    if args.out:
        atomic_write_json(args.out, {"task": args.task, "encoder": name, "protocol": args.protocol,
                                     "split": args.split, "summary": summary,
                                     "runs": [r.as_dict() for r in results]})
    return 0


def register(subparsers) -> None:
    from graphcl.train.molecules import MOLECULE_METHODS

    parser = subparsers.add_parser("pretrain-molecules", help="pretrain a molecular GIN on a SMILES corpus "
                                   "(GraphCL, JOAO, JOAOv2); runs under torchrun too")
    parser.add_argument("--method", default="graphcl", choices=MOLECULE_METHODS)
    parser.add_argument("--corpus", default="zinc250k", help="'zinc250k' or a SMILES file")
    parser.add_argument("--limit", type=int, default=None, help="use the first N molecules")
    parser.add_argument("--aug-ratio", type=float, default=0.2)
    parser.add_argument("--temperature", type=float, default=0.1)
    _encoder_args(parser, 300, 5, 0.0)
    _train_args(parser, epochs=100, batch_size=256)
    parser.set_defaults(func=_pretrain_molecules)

    parser = subparsers.add_parser("pretrain-mocl", help="MoCL pretraining on a MoleculeNet dataset itself")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--rules", default=None, help="rule file (e.g. MoCL's JSON); default: built-in rules")
    parser.add_argument("--depth", type=int, default=1, help="DK-k: substitutions in sequence")
    parser.add_argument("--global-mode", default="none", choices=("none", "contrast", "regression"))
    parser.add_argument("--neighbours", type=int, default=50, help="top-k fingerprint neighbours")
    parser.add_argument("--lam", type=float, default=1.0, help="weight of the global loss")
    parser.add_argument("--radius", type=int, default=3, help="Morgan fingerprint radius")
    _encoder_args(parser, 512, 3, 0.5)
    _train_args(parser, epochs=100, batch_size=32)
    parser.set_defaults(func=_pretrain_mocl)

    parser = subparsers.add_parser("finetune", help="fine-tune or linear-probe an encoder on a MoleculeNet task")
    parser.add_argument("--task", required=True, help="bbbp, tox21, toxcast, sider, clintox, muv, hiv, bace, ...")
    parser.add_argument("--checkpoint", default=None, help="encoder file; omit for the no-pretraining baseline")
    parser.add_argument("--protocol", default="finetune", choices=("finetune", "linear"))
    parser.add_argument("--split", default="scaffold", choices=("scaffold", "random"))
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the random split")
    parser.add_argument("--label-fraction", type=float, default=1.0, help="share of training labels (MoCL: 0.05)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--epochs", type=int, default=None, help="default: 100 (finetune) / 50 (linear)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden-channels", type=int, default=300, help="baseline encoder width")
    parser.add_argument("--num-layers", type=int, default=5, help="baseline encoder depth")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--root", default=None)
    parser.add_argument("--out", default=None, help="write the per-seed results here (JSON)")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=_finetune)
