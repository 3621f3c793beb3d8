import pytest

from graphcl.data import load_tu
from graphcl.eval.unsupervised_tu import run_unsupervised_tu
from graphcl.methods import FeatureSum


def test_raw_features_reference_embeds_node_label_counts(data_root):
    record = run_unsupervised_tu("MUTAG", "raw_features", seed=0, classifier="logistic", progress=False)
    assert record["losses"] == [] and record["config"]["embedding_dim"] == 7
    assert 0.6 < record["accuracy"] <= 1.0
    # the embedding of a graph is its count of each atom type: check one graph by hand
    dataset = load_tu("MUTAG")
    graph = dataset[3]
    counts = [sum(int(row[c]) for row in graph.x) for c in range(7)]
    assert FeatureSum().embed(graph).view(-1).tolist() == pytest.approx(counts)


def test_references_take_no_epochs(data_root):
    with pytest.raises(ValueError, match="no epochs"):
        run_unsupervised_tu("MUTAG", "untrained", epochs=3)
