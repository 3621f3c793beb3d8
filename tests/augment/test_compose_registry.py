from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.augment import (AUGMENTATIONS, JOAO_AUGMENTATIONS, Compose, DropEdges, DropNodes, Identity,
                             MaskAttributes, PerturbEdges, RandomChoice, SampleSubgraph, ShuffleNodeFeatures,
                             make_augmentation)


def small_batch() -> Batch:
    ring = torch.tensor([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])
    return Batch.from_data_list([Data(x=torch.randn(4, 3), edge_index=ring, edge_attr=torch.ones(8, 2)),
                                 Data(x=torch.randn(6, 3), edge_index=torch.zeros(2, 0, dtype=torch.long),
                                      edge_attr=torch.zeros(0, 2))])


def test_reprs():
    assert repr(DropNodes(0.2)) == "DropNodes(p=0.2)"
    assert repr(DropEdges(0.1)) == "DropEdges(p=0.1)"
    assert repr(PerturbEdges()) == "PerturbEdges(p=0.2)"
    assert repr(SampleSubgraph(0.3)) == "SampleSubgraph(p=0.3)"
    assert repr(MaskAttributes(0.2, mode="gaussian")) == "MaskAttributes(p=0.2, mode='gaussian')"
    assert repr(ShuffleNodeFeatures()) == "ShuffleNodeFeatures()"
    assert repr(Compose([DropNodes(0.1), Identity()])) == "Compose([DropNodes(p=0.1), Identity()])"
    with pytest.raises(ValueError):
        DropNodes(1.2)


def test_joao_pool_order_and_factory():
    assert JOAO_AUGMENTATIONS == ("node_drop", "subgraph", "edge_perturb", "attr_mask", "identity")
    expected = [DropNodes, SampleSubgraph, PerturbEdges, MaskAttributes, Identity]
    for name, cls in zip(JOAO_AUGMENTATIONS, expected):
        aug = make_augmentation(name, 0.2)
        assert isinstance(aug, cls)
        out = aug(small_batch())
        assert isinstance(out, Batch) and len(out.to_data_list()) == 2
    assert make_augmentation("attr_mask", 0.1, mode="gaussian").mode == "gaussian"
    assert set(JOAO_AUGMENTATIONS) <= set(AUGMENTATIONS)
    with pytest.raises(ValueError, match="unknown augmentation"):
        make_augmentation("rotate", 0.2)


def test_compose_applies_in_order_and_is_seeded():
    data = small_batch()
    aug = Compose([DropNodes(0.5, generator=torch.Generator().manual_seed(0)),
                   MaskAttributes(1.0, mode="token", mask_value=9.0)])
    out = aug(data)
    assert (out.ptr[1:] - out.ptr[:-1]).tolist() == [2, 3]
    assert bool((out.x == 9.0).all()) and data.x.size(0) == 10
    assert Compose([])(data) is not data


def test_random_choice_distribution_and_validation():
    data = small_batch()
    choice = RandomChoice([Identity(), DropNodes(0.5)], probs=[0.0, 1.0], generator=torch.Generator().manual_seed(0))
    assert choice(data).num_nodes == 5 and choice.last_choice == 1
    uniform = RandomChoice([Identity(), DropNodes(0.5)], generator=torch.Generator().manual_seed(0))
    picks = [uniform(data) and uniform.last_choice for _ in range(200)]
    assert 60 < sum(picks) < 140
    with pytest.raises(ValueError):
        RandomChoice([])
    with pytest.raises(ValueError):
        RandomChoice([Identity()], probs=[-1.0])
    with pytest.raises(TypeError):
        Compose([3])
