"""The training loop's options, early stopping on a monitored quantity, and bf16 autocast."""
import math

import pytest
import torch
from torch import nn
from torch_geometric.data import InMemoryDataset
from torch_geometric.loader import DataLoader

from graphcl.data.loader import InMemoryGraphLoader
from graphcl.methods import DGI, train_full_batch
from graphcl.train import TrainingOptions, pretrain, train
from graphcl.train.distributed import DistributedContext
from graphcl.train.loop import _build_loader
from tests.methods.test_dgi import sbm_graph
from tests.train.train_helpers import NoisyViews, random_graphs


def reference_dgi_training(method, data, epochs, lr, patience):
    """DGI's official procedure written out: the loss of the current weights, keep them when it is the best
    so far, stop after `patience` epochs without improvement (before updating), restore the best."""
    optimizer = torch.optim.Adam(method.parameters(), lr=lr)
    best, best_state, wait, losses = math.inf, None, 0, []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = method.loss(data)
        losses.append(float(loss))
        if losses[-1] < best:
            best, wait = losses[-1], 0
            best_state = {k: v.clone() for k, v in method.state_dict().items()}
        else:
            wait += 1
        if wait >= patience:
            break
        loss.backward()
        optimizer.step()
    method.load_state_dict(best_state)
    return losses


def test_full_batch_early_stopping_matches_dgi_procedure():
    data = sbm_graph()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        runs.append(DGI(24, 16, generator=torch.Generator().manual_seed(1)))
    expected = reference_dgi_training(runs[0], data, epochs=300, lr=0.05, patience=4)
    result = train_full_batch(runs[1], data, epochs=300, lr=0.05, patience=4, progress=False)
    assert result.stopped_early and len(expected) < 300
    assert result.losses == expected
    assert result.best_loss == min(expected) and result.best_epoch == expected.index(min(expected))
    for key, value in runs[0].state_dict().items():
        assert torch.equal(value, runs[1].state_dict()[key]), key


def test_mini_batch_monitor_max_restores_the_best_epoch():
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.9])
    snapshots = []
    method = NoisyViews()

    def evaluate(m):
        snapshots.append({k: v.clone() for k, v in m.state_dict().items()})
        return {"score": next(scores)}

    options = TrainingOptions(epochs=5, batch_size=4, seed=0, progress=False, monitor="score", monitor_mode="max",
                              patience=2)
    result = train(method, random_graphs(12), options, evaluate=evaluate)
    assert result.stopped_early and result.epochs == 4 and result.best_epoch == 2 and result.best_value == 0.5
    assert [r["score"] for r in result.history] == [0.1, 0.5, 0.3, 0.2]
    for key, value in method.state_dict().items():
        assert torch.equal(value, snapshots[1][key]), key
    assert not torch.equal(snapshots[1]["head.weight"], snapshots[3]["head.weight"])


def test_monitor_must_be_in_the_record():
    with pytest.raises(KeyError, match="valid_accuracy"):
        pretrain(NoisyViews(), random_graphs(4), epochs=1, batch_size=2, progress=False, monitor="valid_accuracy")


@pytest.mark.parametrize("kwargs, message", [
    ({"patience": 3}, "monitor"), ({"precision": "fp16"}, "precision"), ({"monitor_mode": "up"}, "monitor_mode"),
    ({"checkpoint_steps": 0}, "checkpoint_steps"), ({"num_workers": -1}, "num_workers"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainingOptions(**kwargs)


class DtypeProbe(NoisyViews):
    """Records the dtype the network computes in."""

    def loss(self, batch):
        self.seen = self.head(torch.ones(1, self.head.in_features)).dtype
        return super().loss(batch)


@pytest.mark.parametrize("precision, dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_precision_autocasts_the_forward_pass_only(precision, dtype):
    method = DtypeProbe()
    result = pretrain(method, random_graphs(8), epochs=2, batch_size=4, progress=False, seed=0, precision=precision)
    assert method.seen == dtype
    assert all(p.dtype == torch.float32 for p in method.parameters())  # float32 master weights
    assert all(math.isfinite(x) for x in result.losses)


def test_loss_terms_are_recorded_as_epoch_means():
    def loss_fn(method, batch):
        loss = method.loss(batch)
        return loss, {"double": 2 * loss, "size": torch.tensor(float(batch.num_graphs))}

    result = train(NoisyViews(), random_graphs(10), TrainingOptions(epochs=1, batch_size=4, seed=0, progress=False,
                                                                    shuffle=False), loss_fn=loss_fn)
    record = result.history[0]
    assert record["double"] == pytest.approx(2 * record["loss"])
    assert record["size"] == pytest.approx((4 * 4 + 4 * 4 + 2 * 2) / 10)  # graph-weighted mean of 4, 4, 2


def test_given_loaders_are_kept_unless_they_need_a_distributed_sampler():
    from torch.utils.data import DistributedSampler
    from torch_geometric.loader import DataLoader

    from graphcl.train.distributed import DistributedContext
    from graphcl.train.loop import _build_loader

    graphs = random_graphs(8)
    two_ranks = DistributedContext(rank=1, local_rank=1, world_size=2)
    plain = DataLoader(graphs, batch_size=3)
    sharded = DataLoader(graphs, batch_size=3, sampler=DistributedSampler(graphs, num_replicas=2, rank=1))
    options = TrainingOptions()
    assert _build_loader(plain, options, None, DistributedContext()) is plain
    assert _build_loader(sharded, options, None, two_ranks) is sharded
    assert _build_loader(plain, TrainingOptions(per_rank_loader=True), None, two_ranks) is plain
    rebuilt = _build_loader(plain, options, None, two_ranks)
    assert rebuilt is not plain and isinstance(rebuilt.sampler, DistributedSampler)
    assert rebuilt.batch_size == 3 and rebuilt.sampler.rank == 1 and len(list(rebuilt.sampler)) == 4
    batches = iter([graphs[:2], graphs[2:]])
    assert _build_loader(batches, options, None, DistributedContext()) is batches
    with pytest.raises(ValueError, match="per_rank_loader"):
        _build_loader(iter([]), options, None, two_ranks)


class _InMemoryGraphs(InMemoryDataset):
    def __init__(self, graphs):
        super().__init__(None)
        self.data, self.slices = self.collate(graphs)


class BatchRecorder(NoisyViews):
    def __init__(self):
        super().__init__()
        self.batches = []

    def loss(self, batch):
        self.batches.append((batch.x.clone(), batch.edge_index.clone(), batch.batch.clone()))
        return super().loss(batch)


def test_in_memory_dataset_uses_the_vectorized_loader_with_the_same_batches():
    """An InMemoryDataset gets InMemoryGraphLoader; a seeded run sees the batches (and losses) that the same
    graphs give through PyG's DataLoader (a plain list of graphs takes that path)."""
    graphs = random_graphs(14, seed=5)
    dataset = _InMemoryGraphs(graphs)
    loader = _build_loader(dataset, TrainingOptions(batch_size=4), torch.Generator(), DistributedContext())
    assert isinstance(loader, InMemoryGraphLoader)
    assert type(_build_loader(graphs, TrainingOptions(batch_size=4), torch.Generator(),
                              DistributedContext())) is DataLoader
    runs = []
    for data in (graphs, dataset):
        torch.manual_seed(0)
        method = BatchRecorder()
        result = train(method, data, TrainingOptions(epochs=2, batch_size=4, seed=0, progress=False))
        runs.append((method.batches, result.losses))
    (reference, reference_losses), (fast, fast_losses) = runs
    assert len(fast) == len(reference) == 8
    for expected, actual in zip(reference, fast):
        assert all(torch.equal(a, b) for a, b in zip(expected, actual))
    assert fast_losses == reference_losses
