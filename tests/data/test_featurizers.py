import numpy as np
import pytest
import torch
from ogb.utils import smiles2graph

from graphcl.data import MoleculeDataset, get_featurizer, smiles_to_graphs
from graphcl.data.featurizers import MoleculeFeaturizationError, featurizer_of

MOLECULES = ["CCO", "c1ccccc1O", "C[C@H](N)C(=O)O", "F/C=C/Cl", "[Na+].[Cl-]", "CC(C)(C)c1ccc(cc1)S(=O)(=O)N"]


@pytest.mark.parametrize("smiles", MOLECULES)
def test_ogb_featurizer_matches_smiles2graph(smiles):
    ours, reference = get_featurizer("ogb")(smiles), smiles2graph(smiles)
    for key in ("node_feat", "edge_index", "edge_feat"):
        np.testing.assert_array_equal(ours[key], reference[key])
    assert ours["num_nodes"] == reference["num_nodes"]


def test_hu2020_features_by_hand():
    # acetaldehyde: C, C, O -> atom types 5, 5, 7 (atomic number - 1), no chirality
    graph = get_featurizer("hu2020")("CC=O")
    np.testing.assert_array_equal(graph["node_feat"], [[5, 0], [5, 0], [7, 0]])
    np.testing.assert_array_equal(graph["edge_index"], [[0, 1, 1, 2], [1, 0, 2, 1]])
    np.testing.assert_array_equal(graph["edge_feat"], [[0, 0], [0, 0], [1, 0], [1, 0]])  # single, double
    # chirality tag and bond direction
    chiral = get_featurizer("hu2020")("C[C@H](F)Cl")
    assert chiral["node_feat"][1, 1] in (1, 2) and chiral["node_feat"][0, 1] == 0
    directed = get_featurizer("hu2020")("F/C=C/F")
    assert set(directed["edge_feat"][:, 1].tolist()) == {0, 1}  # NONE on C=C, ENDUPRIGHT on F/C
    aromatic = get_featurizer("hu2020")("c1ccccc1")
    assert (aromatic["edge_feat"][:, 0] == 3).all()


def test_invalid_smiles_reasons():
    graphs, errors = smiles_to_graphs(["CCO", "not_a_smiles", "", "C1CC"], "hu2020")
    assert graphs[0] is not None and graphs[0].x.shape == (3, 2) and graphs[0].edge_attr.dtype == torch.long
    assert graphs[1:] == [None, None, None]
    assert errors[0] is None and "parse" in errors[1] and "empty" in errors[2] and "parse" in errors[3]
    with pytest.raises(MoleculeFeaturizationError, match="atomic number 0"):
        get_featurizer("hu2020")("*C")
    with pytest.raises(ValueError, match="unknown featurizer"):
        get_featurizer("morgan")


def test_featurizer_of_widths():
    assert featurizer_of(9, 3) == "ogb" and featurizer_of(2, 2) == "hu2020" and featurizer_of(4, 4) is None


def test_dataset_featurizer_has_its_own_cache(tmp_path):
    raw = tmp_path / "mols.csv"
    raw.write_text("smiles,y\nCCO,1\nc1ccccc1,0\nCCN,1\n")
    ogb = MoleculeDataset(tmp_path / "cache", raw, task_type="classification", show_progress=False)
    hu = MoleculeDataset(tmp_path / "cache", raw, task_type="classification", show_progress=False,
                         featurizer="hu2020")
    assert ogb[0].x.shape == (3, 9) and hu[0].x.shape == (3, 2) and hu[1].edge_attr.shape == (12, 2)
    assert hu.featurizer == "hu2020" and ogb.featurizer == "ogb"
    again = MoleculeDataset(tmp_path / "cache", raw, task_type="classification", show_progress=False)
    assert again[0].x.shape == (3, 9)
