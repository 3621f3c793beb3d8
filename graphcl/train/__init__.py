"""The training loop (mini-batch and full-batch, checkpoints, resume, early stopping, DDP under torchrun)."""
from graphcl.train.distributed import DistributedContext, distributed_env, setup_distributed
from graphcl.train.loop import (PretrainResult, TrainingInterrupted, TrainingOptions, TrainingResult,
                                collect_generators, pretrain, train)

__all__ = ["train", "pretrain", "TrainingOptions", "TrainingResult", "TrainingInterrupted", "collect_generators",
           "PretrainResult", "DistributedContext", "distributed_env", "setup_distributed"]
