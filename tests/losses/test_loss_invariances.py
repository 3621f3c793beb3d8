"""Invariances every contrastive loss must have, on embeddings drawn by hypothesis.

* Row permutation: applying the same permutation to the rows of both views (and to labels or queued
  negatives alongside) relabels the positive pairs without changing any of them, so the loss is unchanged.
* View swap: the losses that treat both views alike (symmetric NT-Xent, triplet, N-pair, margin, the
  cross-view score losses) give the same value with ``z1`` and ``z2`` exchanged.
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphcl.losses import (TWO_VIEW_LOSSES, bce_contrastive_loss, byol_loss, info_nce_loss,
                            jensen_shannon_loss, make_two_view_loss, n_pair_loss, nt_xent_loss,
                            simsiam_loss, supervised_contrastive_loss, triplet_loss)

FAST = settings(max_examples=25, deadline=None)
CLOSE = dict(rel=1e-7, abs=1e-9)


@st.composite
def two_views(draw, min_rows: int = 2, max_rows: int = 6, dim: int | None = None):
    """Two views ``[B, d]`` (float64, rows away from zero so cosines are stable) and a permutation."""
    rows = draw(st.integers(min_rows, max_rows))
    dim = dim if dim is not None else draw(st.integers(2, 5))
    values = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
    z1, z2 = (torch.tensor(draw(st.lists(st.lists(values, min_size=dim, max_size=dim), min_size=rows,
                                         max_size=rows)), dtype=torch.float64) for _ in range(2))
    assume(bool((z1.norm(dim=1) > 0.1).all()) and bool((z2.norm(dim=1) > 0.1).all()))
    order = torch.tensor(draw(st.permutations(range(rows))))
    return z1, z2, order


@pytest.mark.parametrize("name", sorted(TWO_VIEW_LOSSES))
@FAST
@given(views=two_views())
def test_two_view_losses_ignore_the_order_of_the_pairs(name, views):
    z1, z2, order = views
    loss = make_two_view_loss(name)
    assert float(loss(z1[order], z2[order])) == pytest.approx(float(loss(z1, z2)), **CLOSE)


SYMMETRIC = {
    "nt_xent (SimCLR, both directions)": lambda a, b: nt_xent_loss(a, b, 0.5),
    "nt_xent (GraphCL denominator, symmetric)": lambda a, b: nt_xent_loss(a, b, 0.2, exclude_positive=True,
                                                                          symmetric=True),
    "triplet (symmetric)": lambda a, b: triplet_loss(a, b),
    "triplet (hard mining, symmetric)": lambda a, b: triplet_loss(a, b, mining="hard"),
    "n_pair (symmetric)": lambda a, b: n_pair_loss(a, b, symmetric=True, l2_reg=0.1),
    "margin": make_two_view_loss("margin"),
    "jensen_shannon": make_two_view_loss("jensen_shannon"),
    "bce": make_two_view_loss("bce"),
}


@pytest.mark.parametrize("name", sorted(SYMMETRIC))
@FAST
@given(views=two_views())
def test_symmetric_losses_do_not_depend_on_which_view_comes_first(name, views):
    z1, z2, _ = views
    loss = SYMMETRIC[name]
    assert float(loss(z2, z1)) == pytest.approx(float(loss(z1, z2)), **CLOSE)


@FAST
@given(views=two_views(), data=st.data())
def test_info_nce_ignores_pair_order_and_queue_order(views, data):
    query, key, order = views
    queue, _, queue_order = data.draw(two_views(min_rows=1, max_rows=4, dim=query.size(1)))
    expected = float(info_nce_loss(query, key, queue, 0.2))
    assert float(info_nce_loss(query[order], key[order], queue[queue_order], 0.2)) == pytest.approx(expected,
                                                                                                   **CLOSE)
    in_batch = float(info_nce_loss(query, key, None, 0.2))
    assert float(info_nce_loss(query[order], key[order], None, 0.2)) == pytest.approx(in_batch, **CLOSE)


@FAST
@given(views=two_views())
def test_positive_only_losses_ignore_pair_order(views):
    prediction, target, order = views
    for loss in (byol_loss, simsiam_loss):
        assert float(loss(prediction[order], target[order])) == pytest.approx(float(loss(prediction, target)),
                                                                               **CLOSE)


@FAST
@given(views=two_views(min_rows=3, max_rows=8), data=st.data())
def test_supervised_contrastive_ignores_row_order(views, data):
    z, _, order = views
    labels = torch.tensor(data.draw(st.lists(st.integers(0, 2), min_size=len(z), max_size=len(z))))
    expected = float(supervised_contrastive_loss(z, labels, 0.5))
    assert float(supervised_contrastive_loss(z[order], labels[order], 0.5)) == pytest.approx(expected, **CLOSE)


@FAST
@given(views=two_views(), data=st.data())
def test_score_losses_ignore_the_order_of_the_scores(views, data):
    positive, negative, _ = views
    positive, negative = positive.flatten(), negative.flatten()
    pos_order = torch.tensor(data.draw(st.permutations(range(positive.numel()))))
    neg_order = torch.tensor(data.draw(st.permutations(range(negative.numel()))))
    for loss in (jensen_shannon_loss, bce_contrastive_loss):
        assert float(loss(positive[pos_order], negative[neg_order])) == pytest.approx(
            float(loss(positive, negative)), **CLOSE)
