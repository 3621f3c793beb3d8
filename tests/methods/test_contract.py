"""Every pretraining method keeps the contract of graphcl.methods.base.Method."""
import json

import pytest
import torch
from torch_geometric.loader import DataLoader

from graphcl.augment import DropNodes
from graphcl.data.synthetic import sbm_graph, sbm_graph_dataset
from graphcl.methods import (BGRL, DGI, JOAO, GraphBGRL, GraphCL, InfoGraph, JOAOv2, Method, MoCo, NodeGraphCL,
                             SimSiam, method_class, register_method)
from graphcl.nn import GINEncoder


def graph_batch():
    return next(iter(DataLoader(sbm_graph_dataset(num_graphs=8, num_features=6), batch_size=8)))


GRAPH_BUILDERS = {
    "GraphCL": lambda g: GraphCL(GINEncoder(6, 8), augmentation=["node_drop", DropNodes(0.3)], generator=g),
    "JOAO": lambda g: JOAO(GINEncoder(6, 8), generator=g),
    "JOAOv2": lambda g: JOAOv2(GINEncoder(6, 8), generator=g),
    "MoCo": lambda g: MoCo(GINEncoder(6, 8), queue_size=16, generator=g),
    "SimSiam": lambda g: SimSiam(GINEncoder(6, 8), generator=g),
    "GraphBGRL": lambda g: GraphBGRL(GINEncoder(6, 8), hidden_channels=8, generator=g),
    "InfoGraph": lambda g: InfoGraph(GINEncoder(6, 8), generator=g),
}
NODE_BUILDERS = {
    "DGI": lambda g: DGI(GINEncoder(16, 8, batch_norm=False), generator=g),
    "NodeGraphCL": lambda g: NodeGraphCL(16, 8, augmentation="node_drop", generator=g),
    "BGRL": lambda g: BGRL(GINEncoder(16, 8), hidden_channels=8, generator=g),
}


def _check(method, batch, rows):
    assert isinstance(method, Method)
    json.dumps(method.config)  # plain values, saved next to every result
    assert "generator" not in method.config
    method.train()
    loss = method.loss(batch)
    assert loss.dim() == 0 and torch.isfinite(loss) and loss.requires_grad
    z = method.embed(batch)
    assert z.shape[0] == rows and not z.requires_grad and method.training
    # reset_parameters gives the same weights for the same seed, and changes trained ones
    torch.manual_seed(1)
    method.reset_parameters()
    first = {k: v.clone() for k, v in method.state_dict().items() if v.is_floating_point()}
    with torch.no_grad():
        for parameter in method.parameters():
            parameter.add_(1.0)
    torch.manual_seed(1)
    method.reset_parameters()
    for key, value in first.items():
        assert torch.equal(method.state_dict()[key], value), key
    # the same generator seed gives the same loss
    return loss


@pytest.mark.parametrize("name", sorted(GRAPH_BUILDERS))
def test_graph_methods_keep_the_contract(name):
    batch = graph_batch()
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        method = GRAPH_BUILDERS[name](torch.Generator().manual_seed(3))
        assert method.embedding_level == "graph"
        losses.append(_check(method, batch, batch.num_graphs).item())
    assert losses[0] == losses[1]


@pytest.mark.parametrize("name", sorted(NODE_BUILDERS))
def test_node_methods_keep_the_contract(name):
    data = sbm_graph(num_nodes=60, num_features=16)
    torch.manual_seed(0)
    method = NODE_BUILDERS[name](torch.Generator().manual_seed(3))
    assert method.embedding_level == "node"
    _check(method, data, data.num_nodes)


def test_registry_resolves_names_and_takes_user_methods():
    assert method_class("joao") is JOAO and method_class("dgi", level="node") is DGI

    class Mine(GraphCL):
        pass

    register_method("mine", Mine)
    assert method_class("MINE") is Mine
    with pytest.raises(ValueError, match="unknown graph-level method"):
        method_class("nope")
    with pytest.raises(TypeError):
        register_method("bad", torch.nn.Linear)
