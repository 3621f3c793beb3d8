r"""GRACE's evaluation protocol (Zhu et al. 2020, https://arxiv.org/abs/2006.04131; official ``eval.py``):
l2-normalized frozen embeddings, a random ``train_ratio`` / rest split of all nodes, one-vs-rest logistic
regression (liblinear) with :math:`C \in \{2^{-10}, \dots, 2^{9}\}` chosen by ``folds``-fold cross-validation
on the training part only, micro-F1 (= accuracy for single-label nodes) on the rest, ``repeats`` splits.

Every split is drawn from a seed (the official code leaves it unseeded). The folds are stratified
(``StratifiedKFold``, unshuffled) and scored by the accuracy of the one-vs-rest argmax; the official
code passes one-hot labels, which makes scikit-learn use plain ``KFold`` and score multi-label
predictions by subset accuracy during the search (its final predictions are the argmax, as here). The
standard deviation is the population one over the repeats, as the official code reports it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence

import numpy as np
from torch import Tensor

from graphcl.utils.checks import check_positive_int

#: The official grid, ``2.0 ** np.arange(-10, 10)``.
GRACE_C_GRID = tuple(float(2.0 ** k) for k in range(-10, 10))


@dataclass
class RandomSplitResult:
    """Micro-F1 / macro-F1 (fractions) on the held-out nodes of every repeat, and the chosen ``C``."""

    micro_f1_mean: float
    micro_f1_std: float
    macro_f1_mean: float
    macro_f1_std: float
    micro_f1: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    chosen_c: list[float] = field(default_factory=list)
    train_ratio: float = 0.1
    repeats: int = 3

    def as_dict(self) -> dict:
        return asdict(self)


def random_split_logreg(embeddings: Tensor, y: Tensor, train_ratio: float = 0.1, repeats: int = 3,
                        folds: int = 5, c_grid: Sequence[float] = GRACE_C_GRID, seed: int = 0,
                        normalize: bool = True, n_jobs: Optional[int] = None) -> RandomSplitResult:
    """GRACE's linear evaluation on random splits (see the module docstring).

    Args:
        embeddings (Tensor): node embeddings ``[N, d]``.
        y (Tensor): classes ``[N]``.
        train_ratio (float, optional): share of the nodes used for training. (default: :obj:`0.1`)
        repeats (int, optional): random splits. (default: :obj:`3`)
        folds (int, optional): cross-validation folds for ``C`` on the training part. (default: :obj:`5`)
        c_grid (sequence of float, optional): candidate inverse regularization strengths.
        seed (int, optional): seeds split ``r`` with ``seed + r``. (default: :obj:`0`)
        normalize (bool, optional): l2-normalize the rows first, as the official code. (default: :obj:`True`)
        n_jobs (int, optional): scikit-learn parallel jobs. (default: :obj:`None`, one)

    Returns:
        RandomSplitResult
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import normalize as l2_normalize

    if not isinstance(embeddings, Tensor) or embeddings.dim() != 2:
        raise ValueError("embeddings must be a 2-D tensor [num_nodes, channels]")
    if y.dim() != 1 or y.numel() != embeddings.size(0):
        raise ValueError(f"y must have shape [{embeddings.size(0)}], got {tuple(y.shape)}")
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train_ratio must lie in (0, 1), got {train_ratio}")
    check_positive_int("repeats", repeats)
    check_positive_int("folds", folds)
    x = embeddings.detach().cpu().double().numpy()
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or infinite values")
    if normalize:
        x = l2_normalize(x, norm="l2")
    labels = y.detach().cpu().numpy()
    micro, macro, chosen = [], [], []
    for repeat in range(repeats):
        x_train, x_test, y_train, y_test = train_test_split(x, labels, train_size=train_ratio,
                                                            random_state=seed + repeat)
        search = GridSearchCV(OneVsRestClassifier(LogisticRegression(solver="liblinear")),
                              param_grid={"estimator__C": list(c_grid)}, cv=StratifiedKFold(folds),
                              n_jobs=n_jobs)
        search.fit(x_train, y_train)
        predicted = search.predict(x_test)
        micro.append(float(f1_score(y_test, predicted, average="micro")))
        macro.append(float(f1_score(y_test, predicted, average="macro")))
        chosen.append(float(search.best_params_["estimator__C"]))
    return RandomSplitResult(micro_f1_mean=float(np.mean(micro)), micro_f1_std=float(np.std(micro)),
                             macro_f1_mean=float(np.mean(macro)), macro_f1_std=float(np.std(macro)),
                             micro_f1=micro, macro_f1=macro, chosen_c=chosen, train_ratio=train_ratio,
                             repeats=repeats)

