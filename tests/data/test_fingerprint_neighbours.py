import pytest
import torch

from graphcl.data.fingerprint_neighbours import (
    fingerprint_bits,
    morgan_fingerprints,
    tanimoto_matrix,
    tanimoto_neighbours,
)

SMILES = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1O", "c1ccccc1N", "CC(=O)O", "CC(=O)OC", "CCN", "CCCN",
          "C1CCCCC1", "OCCO", "CCO"]  # the last duplicates the first


def brute_force(smiles, radius=3, n_bits=2048):
    from rdkit import DataStructs

    fps = morgan_fingerprints(smiles, radius, n_bits)
    return torch.tensor([[DataStructs.TanimotoSimilarity(a, b) for b in fps] for a in fps], dtype=torch.float64)


@pytest.mark.parametrize("include_self", [False, True])
@pytest.mark.parametrize("chunk_memory_mb", [64.0, 1e-4])  # one block, and one row per block
def test_matches_brute_force(include_self, chunk_memory_mb):
    dense = brute_force(SMILES)
    result = tanimoto_neighbours(SMILES, k=4, include_self=include_self, chunk_memory_mb=chunk_memory_mb)
    assert result.index.shape == (len(SMILES), 4) and result.similarity.dtype == torch.float32
    for i in range(len(SMILES)):
        row = dense[i].clone()
        if not include_self:
            row[i] = -1.0
        order = sorted(range(len(SMILES)), key=lambda j: (-row[j].item(), j))[:4]
        assert result.index[i].tolist() == order
        assert torch.allclose(result.similarity[i].double(), row[order], atol=1e-6)
    assert torch.equal(result.index, tanimoto_neighbours(SMILES, k=4, include_self=include_self).index)
    if include_self:
        assert result.index[1, 0] == 1 and result.similarity[1, 0] == 1.0
    else:
        assert result.index[0, 0] == 12 and result.similarity[0, 0] == 1.0  # the duplicate comes first
        assert (result.index != torch.arange(len(SMILES))[:, None]).all()


def test_k_larger_than_dataset_and_edge_index():
    result = tanimoto_neighbours(SMILES[:3], k=10)
    assert result.k == 2
    assert result.edge_index().shape == (2, 6)


def test_invalid_smiles():
    with pytest.raises(ValueError, match="could not be parsed"):
        tanimoto_neighbours(["CCO", "not-a-molecule", "CCN"], k=1)
    result = tanimoto_neighbours(["CCO", "not-a-molecule", "CCN", "CCCO"], k=2, on_invalid="skip")
    assert result.invalid == [1]
    assert result.index[1].tolist() == [-1, -1]
    assert (result.index != 1).all()
    with pytest.raises(ValueError, match="k must"):
        tanimoto_neighbours(SMILES, k=0)
    with pytest.raises(ValueError, match="no molecules"):
        tanimoto_neighbours([], k=1)


def test_tanimoto_matrix_from_bits_matches_rdkit():
    bits = fingerprint_bits(SMILES)
    assert bits.shape == (len(SMILES), 2048) and bits.dtype == torch.bool
    assert torch.allclose(tanimoto_matrix(bits, bits).double(), brute_force(SMILES), atol=1e-6)
    empty = torch.zeros(1, 2048, dtype=torch.bool)
    assert tanimoto_matrix(empty, empty).item() == 0.0
