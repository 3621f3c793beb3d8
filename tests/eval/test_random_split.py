"""GRACE's random-split evaluation against a hand-written grid search."""
import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.multiclass import OneVsRestClassifier

from graphcl.eval import GRACE_C_GRID, random_split_logreg


def reference(x, y, seed, c_grid, folds=5, ratio=0.1):
    """Split, pick C by mean fold accuracy on the training part (first best wins), refit, score."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, train_size=ratio, random_state=seed)
    best_c, best = None, -1.0
    for c in c_grid:
        scores = []
        for train, valid in StratifiedKFold(folds).split(x_train, y_train):
            model = OneVsRestClassifier(LogisticRegression(solver="liblinear", C=c)).fit(x_train[train],
                                                                                         y_train[train])
            scores.append((model.predict(x_train[valid]) == y_train[valid]).mean())
        if np.mean(scores) > best + 1e-12:
            best_c, best = c, float(np.mean(scores))
    model = OneVsRestClassifier(LogisticRegression(solver="liblinear", C=best_c)).fit(x_train, y_train)
    return float((model.predict(x_test) == y_test).mean()), best_c


def test_matches_hand_written_search():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 3
    x = torch.randn(3, 6, generator=g)[y] + 1.5 * torch.randn(200, 6, generator=g)
    grid = (0.01, 0.1, 1.0, 10.0)
    result = random_split_logreg(x, y, repeats=2, c_grid=grid, seed=4)
    for repeat in range(2):
        accuracy, c = reference(x.double().numpy(), y.numpy(), 4 + repeat, grid)
        assert result.micro_f1[repeat] == pytest.approx(accuracy)
        assert result.chosen_c[repeat] == c
    assert result.micro_f1_std == pytest.approx(float(np.std(result.micro_f1)))


def test_grid_and_errors():
    assert GRACE_C_GRID[0] == 2.0 ** -10 and GRACE_C_GRID[-1] == 2.0 ** 9 and len(GRACE_C_GRID) == 20
    with pytest.raises(ValueError, match="train_ratio"):
        random_split_logreg(torch.randn(10, 2), torch.zeros(10, dtype=torch.long), train_ratio=1.0)
    with pytest.raises(ValueError, match="NaN"):
        random_split_logreg(torch.full((10, 2), float("nan")), torch.zeros(10, dtype=torch.long))
