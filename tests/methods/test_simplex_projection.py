"""JOAO's Euclidean projection onto the probability simplex, property-tested against an independent
bisection on the threshold (the projection is max(v - theta, 0) with theta such that it sums to one)."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcl.methods.joao import project_simplex

FAST = settings(max_examples=60, deadline=None)
vectors = st.lists(st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False), min_size=1, max_size=30).map(
    lambda values: torch.tensor(values, dtype=torch.float64))


def by_bisection(v: torch.Tensor) -> torch.Tensor:
    low, high = float(v.min()) - 1.0, float(v.max())  # sum(max(v - theta, 0)) is >= 1 at low, 0 at high
    for _ in range(200):
        theta = (low + high) / 2
        low, high = (theta, high) if float(torch.clamp(v - theta, min=0).sum()) > 1 else (low, theta)
    return torch.clamp(v - (low + high) / 2, min=0)


@FAST
@given(v=vectors)
def test_projection_matches_the_bisection_reference(v):
    p = project_simplex(v)
    assert bool((p >= 0).all()) and float(p.sum()) == pytest.approx(1.0, abs=1e-12)
    assert torch.allclose(p, by_bisection(v), atol=1e-9)


@FAST
@given(v=vectors, shift=st.floats(-10.0, 10.0), data=st.data())
def test_projection_is_idempotent_shift_invariant_and_permutation_equivariant(v, shift, data):
    p = project_simplex(v)
    assert torch.allclose(project_simplex(p), p, atol=1e-12)
    assert torch.allclose(project_simplex(v + shift), p, atol=1e-9)
    order = torch.tensor(data.draw(st.permutations(range(v.numel()))))
    assert torch.allclose(project_simplex(v[order]), p[order], atol=1e-12)


@FAST
@given(v=vectors)
def test_projection_is_the_closest_point_of_the_simplex(v):
    """Optimality: (v - p) . (q - p) <= 0 for every vertex q, hence for every point of the simplex."""
    p = project_simplex(v)
    residual = v - p
    for k in range(v.numel()):
        vertex = torch.zeros_like(v)
        vertex[k] = 1.0
        assert float(residual @ (vertex - p)) <= 1e-9
