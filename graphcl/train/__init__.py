"""Generic pretraining: checkpoints, resume, progress and DistributedDataParallel under torchrun."""
from graphcl.train.distributed import DistributedContext, distributed_env, setup_distributed
from graphcl.train.loop import PretrainResult, pretrain

__all__ = ["pretrain", "PretrainResult", "DistributedContext", "distributed_env", "setup_distributed"]
