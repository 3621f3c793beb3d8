"""Mini-batch DGI under torchrun with two CPU processes (gloo): each rank samples its own seed nodes, through
the one training loop, and the replicas end with identical weights."""
import textwrap

import torch
from train_helpers import run_torchrun

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import torch
    from torch_geometric.data import Data
    from graphcl.eval.node_protocol import node_minibatch_loader
    from graphcl.methods import DGI
    from graphcl.train import pretrain

    rank = int(os.environ["RANK"])
    out = sys.argv[1]
    g = torch.Generator().manual_seed(0)
    data = Data(x=torch.randn(40, 4, generator=g), edge_index=torch.randint(0, 40, (2, 160), generator=g),
                num_nodes=40)
    loader = node_minibatch_loader(data, batch_size=8, num_neighbors=[3, 3], seed=5, backend="torch")
    loader.sampler.set_epoch(0)
    seeds = torch.cat([batch.n_id[:batch.batch_size] for batch in loader])
    torch.manual_seed(100 + rank)  # different initial weights per rank: DDP must broadcast rank 0's
    method = DGI(4, 6, num_layers=2, generator=torch.Generator().manual_seed(rank))
    initial = {k: v.clone() for k, v in method.state_dict().items()}
    result = pretrain(method, loader, epochs=2, progress=False, seed=5)
    torch.save({"state": method.state_dict(), "initial": initial, "history": result.history,
                "world_size": result.world_size, "seeds": seeds, "batches": len(loader)},
               os.path.join(out, f"rank{rank}.pt"))
    """
)


def test_two_ranks_train_on_disjoint_seed_nodes_and_agree(tmp_path):
    completed = run_torchrun(SCRIPT, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]

    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2)]
    assert ranks[0]["world_size"] == ranks[1]["world_size"] == 2
    # each rank its own half of the 40 seed nodes (20 = 3 batches of at most 8)
    first, second = set(ranks[0]["seeds"].tolist()), set(ranks[1]["seeds"].tolist())
    assert len(first) == len(second) == 20 and not first & second and first | second == set(range(40))
    assert ranks[0]["batches"] == ranks[1]["batches"] == 3
    for key, value in ranks[0]["state"].items():
        assert torch.equal(value, ranks[1]["state"][key]), key
    assert any(not torch.equal(value, ranks[0]["initial"][key]) for key, value in ranks[0]["state"].items())
    assert [r["loss"] for r in ranks[0]["history"]] == [r["loss"] for r in ranks[1]["history"]]
