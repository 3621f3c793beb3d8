"""Graph-level evaluation of frozen embeddings: SVM with nested cross-validation.

The protocol of InfoGraph (Sun et al., ICLR 2020) and GraphCL (You et al., NeurIPS 2020): outer stratified
10-fold cross-validation; inside each outer training fold, ``C`` is chosen by an inner stratified 5-fold grid
search, the model is refit on the whole outer training fold and scored on the held-out fold. The test fold
never takes part in choosing ``C``. As in the official code the embeddings are not standardized (optional).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from graphcl.eval.embeddings import embed_graphs

DEFAULT_CS: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)
CLASSIFIERS = ("svc", "linear_svc", "logistic")


@dataclass
class CrossValidationResult:
    """Outcome of :func:`svm_cross_validation`.

    Attributes:
        mean (float): mean test accuracy over the outer folds (fraction in ``[0, 1]``).
        std (float): population standard deviation of the fold accuracies.
        fold_accuracies (list of float): test accuracy of every outer fold.
        best_params (list of dict): the ``C`` chosen (by inner cross-validation) in every outer fold.
    """

    mean: float
    std: float
    fold_accuracies: list[float] = field(default_factory=list)
    best_params: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "fold_accuracies": self.fold_accuracies,
                "best_params": self.best_params}


def _as_numpy(values, name: str, dims: int) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim != dims:
        raise ValueError(f"{name} must have {dims} dimension(s), got shape {array.shape}")
    return array


def rbf_kernel(a: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    r""":math:`\exp(-\gamma \lVert a_i - b_j \rVert^2)`, shape ``[len(a), len(b)]``."""
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.exp(-gamma * np.maximum(squared, 0.0))


def _rbf_features(x_train: np.ndarray, x_other: np.ndarray, standardize: bool) -> tuple[np.ndarray, np.ndarray]:
    r"""RBF Gram matrices ``[n_train, n_train]`` and ``[n_other, n_train]`` for an SVM fit on ``x_train``.

    Standardization (optional) and :math:`\gamma = 1 / (d \operatorname{Var}[x_{train}])` (SVC's
    ``"scale"``) come from ``x_train`` alone, so rows the SVM is scored on never shape its kernel.
    """
    if standardize:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x_train)
        x_train, x_other = scaler.transform(x_train), scaler.transform(x_other)
    variance = x_train.var()
    gamma = 1.0 / (x_train.shape[1] * variance) if variance > 0 else 1.0
    return rbf_kernel(x_train, x_train, gamma), rbf_kernel(x_other, x_train, gamma)


def _inner_split_accuracies(x: np.ndarray, y: np.ndarray, train: np.ndarray, valid: np.ndarray,
                            Cs: Sequence[float], standardize: bool) -> list[float]:
    """Validation accuracy of an RBF SVM for every ``C`` on one inner split."""
    from sklearn.svm import SVC

    kernel_train, kernel_valid = _rbf_features(x[train], x[valid], standardize)
    return [float(np.mean(SVC(kernel="precomputed", C=C).fit(kernel_train, y[train]).predict(kernel_valid)
                          == y[valid])) for C in Cs]


def _select_svc_C(x: np.ndarray, y: np.ndarray, Cs: Sequence[float], inner, standardize: bool,
                  n_jobs: Optional[int]) -> tuple[float, float]:
    """``C`` with the best mean accuracy over the inner splits (the first on ties, as ``GridSearchCV``), and
    that accuracy."""
    from joblib import Parallel, delayed

    scores = Parallel(n_jobs=n_jobs)(delayed(_inner_split_accuracies)(x, y, train, valid, Cs, standardize)
                                     for train, valid in inner.split(x, y))
    means = np.mean(scores, axis=0)
    best = int(np.argmax(means))
    return Cs[best], float(means[best])


def _make_estimator(classifier: str, max_iter: int):
    """A linear model and the name of its ``C`` parameter. They standardize inside the pipeline (fit on
    the training rows only), which makes their solvers converge quickly."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    if classifier == "linear_svc":
        return make_pipeline(StandardScaler(), LinearSVC(max_iter=max_iter)), "linearsvc__C"
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter)), "logisticregression__C"


def svm_cross_validation(
    embeddings: Tensor | np.ndarray,
    labels: Tensor | np.ndarray | Sequence[int],
    n_splits: int = 10,
    Cs: Sequence[float] = DEFAULT_CS,
    seed: Optional[int] = 0,
    inner_splits: int = 5,
    classifier: str = "svc",
    standardize: bool = False,
    n_jobs: Optional[int] = None,
    max_iter: int = 2000,
) -> CrossValidationResult:
    r"""Accuracy of a classifier on frozen graph embeddings by nested stratified cross-validation.

    Args:
        embeddings (Tensor or ndarray): graph embeddings, shape ``[num_graphs, d]``.
        labels (Tensor or ndarray): integer class labels, shape ``[num_graphs]``.
        n_splits (int, optional): outer folds. (default: :obj:`10`)
        Cs (sequence of float, optional): the grid of ``C`` values searched by the inner cross-validation;
            a single value skips the search. (default: ``1e-3, 1e-2, ..., 1e3``)
        seed (int, optional): seed of the outer and inner fold shuffles. (default: :obj:`0`)
        inner_splits (int, optional): inner folds of the grid search. (default: :obj:`5`)
        classifier (str, optional): ``"svc"`` (RBF kernel, the paper's protocol), or the faster
            ``"linear_svc"`` or ``"logistic"`` (these always standardize within the training fold).
            (default: :obj:`"svc"`)
        standardize (bool, optional): z-score the features with the statistics of the rows each SVM is
            fit on (outer or inner training fold); the official code does not. (default: :obj:`False`)
        n_jobs (int, optional): parallel jobs of the grid search (inner splits). (default: :obj:`None`)
        max_iter (int, optional): iteration cap of the linear classifiers. (default: :obj:`2000`)

    Returns:
        CrossValidationResult: mean and std of the outer-fold accuracies, each fold's accuracy, ``C`` and the
        inner cross-validation accuracy at that ``C`` (a validation score: it never sees the outer test fold;
        ``None`` without a search).

    Raises:
        ValueError: on shape mismatches, NaN embeddings, a single class, too few graphs per class for
            ``n_splits``, an empty ``Cs`` or non-positive ``C``.
    """
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    x = _as_numpy(embeddings, "embeddings", 2).astype(np.float64, copy=False)
    y = _as_numpy(labels, "labels", 1)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{x.shape[0]} embeddings but {y.shape[0]} labels")
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or infinite values")
    if classifier not in CLASSIFIERS:
        raise ValueError(f"classifier must be one of {CLASSIFIERS}, got {classifier!r}")
    Cs = [float(c) for c in Cs]
    if not Cs or any(not c > 0 for c in Cs):
        raise ValueError(f"Cs must be a non-empty sequence of positive numbers, got {Cs}")
    if not isinstance(n_splits, int) or n_splits < 2:
        raise ValueError(f"n_splits must be an int >= 2, got {n_splits!r}")
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise ValueError("labels hold a single class; classification accuracy is meaningless")
    if counts.min() < n_splits:
        raise ValueError(f"the smallest class has {counts.min()} graphs, fewer than n_splits={n_splits}")

    outer = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    accuracies: list[float] = []
    chosen: list[dict[str, Any]] = []
    for train_index, test_index in outer.split(x, y):
        x_train, x_test, y_train = x[train_index], x[test_index], y[train_index]
        if len(Cs) > 1:
            smallest = int(np.unique(y_train, return_counts=True)[1].min())
            inner = StratifiedKFold(n_splits=max(2, min(inner_splits, smallest)), shuffle=True,
                                    random_state=None if seed is None else seed + 1)
        if classifier == "svc":
            # the kernel, gamma and scaling of every fit (inner folds included) come from the rows it is fit
            # on, so neither the test fold nor an inner validation fold shapes the kernel that scores it
            from sklearn.svm import SVC

            if len(Cs) > 1:
                C, inner_accuracy = _select_svc_C(x_train, y_train, Cs, inner, standardize, n_jobs)
            else:
                C, inner_accuracy = Cs[0], None
            kernel_train, features_test = _rbf_features(x_train, x_test, standardize)
            model = SVC(kernel="precomputed", C=C).fit(kernel_train, y_train)
            chosen.append({"C": C, "inner_accuracy": inner_accuracy})
        else:
            # the linear models standardize inside their pipeline (training rows only, inner folds included)
            estimator, key = _make_estimator(classifier, max_iter)
            if len(Cs) > 1:
                search = GridSearchCV(estimator, {key: Cs}, cv=inner, scoring="accuracy", n_jobs=n_jobs)
                # only the outer training fold reaches the search: the test fold cannot influence C
                search.fit(x_train, y_train)
                model = search.best_estimator_
                chosen.append({"C": float(search.best_params_[key]), "inner_accuracy": float(search.best_score_)})
            else:
                model = estimator.set_params(**{key: Cs[0]}).fit(x_train, y_train)
                chosen.append({"C": Cs[0], "inner_accuracy": None})
            features_test = x_test
        accuracies.append(float(accuracy_score(y[test_index], model.predict(features_test))))
    return CrossValidationResult(mean=float(np.mean(accuracies)), std=float(np.std(accuracies)),
                                 fold_accuracies=accuracies, best_params=chosen)


def embed_dataset(method, dataset_or_loader, batch_size: int = 512,
                  device: Optional[str | torch.device] = None) -> tuple[Tensor, Tensor]:
    """Graph embeddings (``method.embed``) and labels ``y`` of every graph, in dataset order, for the SVM
    protocol (:func:`graphcl.eval.embeddings.embed_graphs`; ``device=None`` is the method's own device).

    Returns:
        (Tensor, Tensor): embeddings ``[num_graphs, d]`` on the CPU and labels ``[num_graphs]``.
    """
    embeddings, labels = embed_graphs(method, dataset_or_loader, batch_size, device)
    if labels is None:
        raise ValueError("graphs have no labels y to evaluate against")
    return embeddings, labels.view(-1)
