import numpy as np
import pytest
import torch

from graphcl.eval.svm import rbf_kernel, svm_cross_validation


CS = (0.1, 10.0)


def _separable(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], n // 2)
    x = rng.normal(size=(n, 4)) + labels[:, None] * 6.0
    return x, labels


def test_separable_data_is_classified_perfectly():
    x, y = _separable()
    result = svm_cross_validation(torch.tensor(x), torch.tensor(y), n_splits=5, seed=0, Cs=CS)
    assert result.mean == pytest.approx(1.0)
    assert len(result.fold_accuracies) == 5 and len(result.best_params) == 5
    fast = svm_cross_validation(x, y, n_splits=3, seed=0, classifier="logistic", Cs=(1.0,))
    assert fast.mean == pytest.approx(1.0)


def test_random_labels_are_near_chance_and_deterministic():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(80, 4)), rng.integers(0, 2, 80)
    first = svm_cross_validation(x, y, n_splits=3, seed=3, Cs=CS)
    assert 0.2 < first.mean < 0.8
    assert svm_cross_validation(x, y, n_splits=3, seed=3, Cs=CS).fold_accuracies == first.fold_accuracies


def test_choice_of_C_never_sees_the_test_fold(monkeypatch):
    """The grid search must only be fitted on the outer training fold."""
    from sklearn.model_selection import GridSearchCV

    x, y = _separable(50)
    seen = []
    original = GridSearchCV.fit

    def spy(self, features, labels, **kwargs):
        seen.append(len(labels))
        return original(self, features, labels, **kwargs)

    monkeypatch.setattr(GridSearchCV, "fit", spy)
    svm_cross_validation(x, y, n_splits=5, seed=0, Cs=CS)
    assert seen == [40] * 5


def test_rbf_kernel_matches_sklearn():
    from sklearn.metrics.pairwise import rbf_kernel as reference

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    assert np.allclose(rbf_kernel(a, b, 0.3), reference(a, b, gamma=0.3))


def test_bad_input():
    x, y = _separable()
    with pytest.raises(ValueError, match="labels"):
        svm_cross_validation(x, y[:-1])
    with pytest.raises(ValueError, match="single class"):
        svm_cross_validation(x, np.zeros(len(y)))
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        svm_cross_validation(bad, y)
    with pytest.raises(ValueError, match="Cs"):
        svm_cross_validation(x, y, Cs=[])
    with pytest.raises(ValueError, match="smallest class"):
        svm_cross_validation(x[:12], np.array([0] * 9 + [1] * 3), n_splits=5)
    with pytest.raises(ValueError, match="classifier"):
        svm_cross_validation(x, y, classifier="forest")
