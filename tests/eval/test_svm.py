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
    """Linear models: the grid search is only fitted on the outer training fold."""
    from sklearn.model_selection import GridSearchCV

    x, y = _separable(50)
    seen = []
    original = GridSearchCV.fit

    def spy(self, features, labels, **kwargs):
        seen.append(len(labels))
        return original(self, features, labels, **kwargs)

    monkeypatch.setattr(GridSearchCV, "fit", spy)
    svm_cross_validation(x, y, n_splits=5, seed=0, Cs=CS, classifier="logistic")
    assert seen == [40] * 5


def test_rbf_svm_never_fits_or_selects_on_the_test_fold(monkeypatch):
    """RBF SVM: every kernel (inner search included) is fit on rows of one outer training fold, and the
    only kernel that touches that fold's test rows is the one scoring them."""
    from sklearn.model_selection import StratifiedKFold

    x, y = _separable(50)
    calls = _spy_kernels(monkeypatch)
    svm_cross_validation(x, y, n_splits=5, seed=0, Cs=CS)
    rows = lambda m: {tuple(r) for r in np.round(m, 12)}  # noqa: E731
    folds = [rows(x[test]) for _, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y)]
    scored = [0] * 5
    for a, b, _, _ in calls:
        owners = [f for f, test in enumerate(folds) if not rows(b) & test]
        assert len(owners) == 1
        test = folds[owners[0]]
        if rows(a) == test:
            scored[owners[0]] += 1
        else:
            assert not rows(a) & test
    assert scored == [1] * 5


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


def _scaled_folds(x, y, n_splits, seed, standardize):
    """The outer folds of the protocol and the training rows as the fit should see them."""
    from sklearn.model_selection import StratifiedKFold

    for train, test in StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(x, y):
        rows = x[train]
        if standardize:
            rows = (rows - rows.mean(0)) / rows.std(0)
        yield train, test, rows


def _spy_kernels(monkeypatch):
    import graphcl.eval.svm as svm

    calls = []
    original = svm.rbf_kernel

    def spy(a, b, gamma):
        out = original(a, b, gamma)
        calls.append((a, b, gamma, out))
        return out

    monkeypatch.setattr(svm, "rbf_kernel", spy)
    return calls


@pytest.mark.parametrize("standardize", [False, True])
def test_rbf_gamma_and_standardisation_come_from_the_training_fold_only(monkeypatch, standardize):
    """The held-out fold is scored with a kernel whose gamma (1 / (d Var)) and scaling are the training
    fold's own; features on very different scales make any leak visible."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    x = rng.normal(size=(40, 3)) * np.array([1.0, 10.0, 100.0]) + y[:, None]
    calls = _spy_kernels(monkeypatch)
    svm_cross_validation(x, y, n_splits=4, seed=2, Cs=CS, standardize=standardize)
    for train, test, rows in _scaled_folds(x, y, 4, 2, standardize):
        scoring = [call for call in calls if call[0].shape[0] == len(test) and call[1].shape[0] == len(train)
                   and np.allclose(call[1], rows)]
        assert scoring, "no kernel between the held-out fold and exactly the training fold"
        for _, train_rows, gamma, _ in scoring:
            assert gamma == pytest.approx(1.0 / (3 * rows.var()))


@pytest.mark.parametrize("standardize", [False, True])
def test_every_svm_fit_uses_a_kernel_of_its_own_rows(monkeypatch, standardize):
    """Inside the grid search too: each SVM (inner folds included) is fit on a kernel whose gamma and
    scaling were computed from the very rows it is fit on, never from the validation rows of the search."""
    from sklearn.svm import SVC

    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 25)
    x = rng.normal(size=(50, 3)) * np.array([1.0, 10.0, 100.0]) + y[:, None]
    calls = _spy_kernels(monkeypatch)
    fitted = []
    original_fit = SVC.fit

    def spy_fit(self, features, labels, **kwargs):
        fitted.append(np.asarray(features))
        return original_fit(self, features, labels, **kwargs)

    monkeypatch.setattr(SVC, "fit", spy_fit)
    svm_cross_validation(x, y, n_splits=5, seed=0, Cs=CS, standardize=standardize)
    assert len(fitted) >= 5 * (1 + len(CS))  # the refits and at least one inner fit per C
    for kernel in fitted:
        sources = [(a, gamma) for a, b, gamma, out in calls if a is b and out.shape == kernel.shape
                   and np.array_equal(out, kernel)]
        assert sources, f"an SVM was fit on a {kernel.shape} kernel not computed from its own rows"
        rows, gamma = sources[0]
        assert gamma == pytest.approx(1.0 / (rows.shape[1] * rows.var()))
        if standardize:
            assert np.allclose(rows.mean(0), 0, atol=1e-9) and np.allclose(rows.std(0), 1)


def test_inner_accuracy_is_the_validation_score_of_the_chosen_C():
    """The recorded inner accuracy equals a loop over the same inner folds with sklearn's own RBF SVC
    (gamma='scale' = 1 / (d Var x) of the rows it is fit on), maximised over C."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 90)
    x = rng.normal(size=(90, 3)) + y[:, None] * 0.8  # overlapping classes: accuracies differ across C
    cs = (0.01, 1.0, 100.0)
    result = svm_cross_validation(x, y, n_splits=3, seed=2, Cs=cs, inner_splits=4)
    outer = StratifiedKFold(n_splits=3, shuffle=True, random_state=2)
    for (train, _), params in zip(outer.split(x, y), result.best_params):
        inner = StratifiedKFold(n_splits=4, shuffle=True, random_state=3)
        means = [np.mean([SVC(C=c, gamma="scale").fit(x[train][a], y[train][a]).score(x[train][b], y[train][b])
                          for a, b in inner.split(x[train], y[train])]) for c in cs]
        assert params["C"] == cs[int(np.argmax(means))]
        assert params["inner_accuracy"] == pytest.approx(max(means))
    logistic = svm_cross_validation(x, y, n_splits=3, seed=2, Cs=cs, classifier="logistic")
    assert all(0.0 <= p["inner_accuracy"] <= 1.0 for p in logistic.best_params)
    assert svm_cross_validation(x, y, n_splits=3, seed=2, Cs=(1.0,)).best_params[0]["inner_accuracy"] is None
