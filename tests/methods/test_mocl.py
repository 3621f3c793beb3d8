import math

import pytest
import torch
from torch_geometric.data import Batch

from graphcl.augment.chemistry import SubstructureSubstitution, smiles_to_data
from graphcl.data.fingerprint_neighbours import tanimoto_neighbours
from graphcl.methods.mocl import MoCL, NeighbourContrastLoss, SimilarityRegressionLoss, build_mocl
from graphcl.nn import MoleculeGINEncoder
from graphcl.train import pretrain

SMILES = ["CC(=O)O", "OC(=O)c1ccccc1", "CC(=O)Nc1ccccc1", "CCOC(=O)C", "c1ccccc1O", "CC(C)(C)c1ccccc1",
          "CC(=O)CC", "NC(=O)c1ccccc1", "CCCC(=O)O", "c1ccc(cc1)C(=O)O"]


def batch_of(smiles):
    return Batch.from_data_list([smiles_to_data(s) for s in smiles])


def naive_neighbour_loss(z, rows, index, temperature):
    z = torch.nn.functional.normalize(z, dim=1)
    total, count = 0.0, 0
    for a in range(len(rows)):
        pos, neg = 0.0, 0.0
        for b in range(len(rows)):
            value = math.exp(float(z[a] @ z[b]) / temperature)
            if a == b or int(rows[b]) in index[int(rows[a])].tolist():
                pos += value
            else:
                neg += value
        total += -math.log(pos / neg)
        count += 1
    return total / count


def test_neighbour_contrast_matches_naive_loop():
    neighbours = tanimoto_neighbours(SMILES, k=2)
    loss = NeighbourContrastLoss(neighbours, SMILES, temperature=0.5)
    z = torch.randn(len(SMILES), 6, generator=torch.Generator().manual_seed(0))
    expected = naive_neighbour_loss(z, list(range(len(SMILES))), neighbours.index, 0.5)
    assert float(loss(z, SMILES)) == pytest.approx(expected, rel=1e-5)
    order = [3, 0, 7, 5]
    sub = [SMILES[i] for i in order]
    assert float(loss(z[order], sub)) == pytest.approx(naive_neighbour_loss(z[order], order, neighbours.index, 0.5),
                                                       rel=1e-5)
    with pytest.raises(ValueError, match="not in the table"):
        loss(z[:2], ["CCO", "CCN"])


def test_similarity_regression_targets_tanimoto():
    from rdkit import DataStructs

    from graphcl.data.fingerprint_neighbours import morgan_fingerprints

    loss = SimilarityRegressionLoss(SMILES)
    rows = torch.arange(len(SMILES))
    fps = morgan_fingerprints(SMILES)
    dense = torch.tensor([[DataStructs.TanimotoSimilarity(a, b) for b in fps] for a in fps])
    from graphcl.data.fingerprint_neighbours import tanimoto_matrix

    bits = loss.bits(rows)
    assert torch.allclose(tanimoto_matrix(bits, bits), dense.float(), atol=1e-6)
    z = torch.randn(len(SMILES), 6, generator=torch.Generator().manual_seed(1))
    zn = torch.nn.functional.normalize(z, dim=1)
    assert float(loss(z, SMILES)) == pytest.approx(float(((zn @ zn.t() - dense) ** 2).mean()), rel=1e-5)


@pytest.mark.parametrize("mode", [None, "contrast", "regression"])
def test_mocl_trains_with_each_global_mode(mode):
    torch.manual_seed(0)
    method = build_mocl(SMILES, encoder=MoleculeGINEncoder(hidden_channels=16, num_layers=2, p=0.5),
                        global_mode=mode, k=3, lam=5.0, generator=torch.Generator().manual_seed(0))
    expected = {None: None, "contrast": "NeighbourContrastLoss(k=3", "regression": "SimilarityRegressionLoss("}[mode]
    assert method.config["global_loss"] == expected or method.config["global_loss"].startswith(expected)
    data = [smiles_to_data(s) for s in SMILES]
    result = pretrain(method, data, epochs=2, batch_size=5, progress=False, seed=0)
    assert all(math.isfinite(x) for x in result.losses)
    assert method.substitution.stats["substitutions"] > 0
    assert method.embed(batch_of(SMILES[:3])).shape == (3, 16)


def test_views_change_molecules_and_keep_order():
    substitution = SubstructureSubstitution(k=1, generator=torch.Generator().manual_seed(0)).fit(SMILES,
                                                                                                show_progress=False)
    method = MoCL(MoleculeGINEncoder(hidden_channels=8, num_layers=2), substitution)
    first, second = method.views(batch_of(SMILES))
    assert first.num_graphs == second.num_graphs == len(SMILES)
    assert sum(a != b for a, b in zip(first.smiles, SMILES)) > 0


def test_bad_arguments():
    encoder = MoleculeGINEncoder(hidden_channels=8, num_layers=2)
    with pytest.raises(ValueError, match="global_mode"):
        build_mocl(SMILES, global_mode="dense")
    with pytest.raises(ValueError, match="lam"):
        MoCL(encoder, SubstructureSubstitution(), lam=-1)
    with pytest.raises(TypeError, match="callable"):
        MoCL(encoder, "rules.json")
    method = MoCL(encoder, SubstructureSubstitution())
    data = batch_of(SMILES[:3])
    del data.smiles
    with pytest.raises(ValueError, match="smiles"):
        method.loss(data)
