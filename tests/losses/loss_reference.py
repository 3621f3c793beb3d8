"""Naive loop-based reference implementations, written straight from the papers' formulas."""
from __future__ import annotations

import math

import torch


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a @ b) / (a.norm() * b.norm()))


def nt_xent_simclr(z1, z2, temperature, negatives=None, symmetric=True) -> float:
    """SimCLR: anchors from both views, denominator = every other sample of both views (+ negatives)."""
    z = torch.cat([z1, z2]).double()
    extra = negatives.double() if negatives is not None else torch.zeros(0, z.size(1), dtype=torch.double)
    n = z1.size(0)
    anchors = range(2 * n) if symmetric else range(n)
    total = 0.0
    for i in anchors:
        j = i + n if i < n else i - n
        numerator = math.exp(cosine(z[i], z[j]) / temperature)
        denominator = sum(math.exp(cosine(z[i], z[k]) / temperature) for k in range(2 * n) if k != i)
        denominator += sum(math.exp(cosine(z[i], e) / temperature) for e in extra)
        total += -math.log(numerator / denominator)
    return total / len(anchors)


def nt_xent_graphcl(z1, z2, temperature, negatives=None, symmetric=False) -> float:
    """Official GraphCL ``loss_cl``: exp(cos/T) matrix between the views, positive / (row sum - positive)."""
    def one_direction(a, b):
        a, b = a.double(), b.double()
        n = a.size(0)
        total = 0.0
        for i in range(n):
            row = [math.exp(cosine(a[i], b[j]) / temperature) for j in range(n)]
            if negatives is not None:
                row += [math.exp(cosine(a[i], e) / temperature) for e in negatives.double()]
            positive = row[i]
            total += -math.log(positive / (sum(row) - positive))
        return total / n

    forward = one_direction(z1, z2)
    return (forward + one_direction(z2, z1)) / 2 if symmetric else forward


def softplus(x: float) -> float:
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


def bce(pos, neg) -> float:
    values = [-math.log(1 / (1 + math.exp(-float(p)))) for p in pos.reshape(-1)]
    values += [-math.log(1 - 1 / (1 + math.exp(-float(q)))) for q in neg.reshape(-1)]
    return sum(values) / len(values)


def jensen_shannon(pos, neg) -> float:
    e_pos = sum(math.log(2) - softplus(-float(p)) for p in pos.reshape(-1)) / pos.numel()
    e_neg = sum(softplus(-float(q)) + float(q) - math.log(2) for q in neg.reshape(-1)) / neg.numel()
    return e_neg - e_pos


def supervised_contrastive(z, labels, temperature) -> float | None:
    n = z.size(0)
    z = z.double()
    per_anchor = []
    for i in range(n):
        positives = [p for p in range(n) if p != i and int(labels[p]) == int(labels[i])]
        if not positives:
            continue
        denominator = sum(math.exp(cosine(z[i], z[a]) / temperature) for a in range(n) if a != i)
        terms = [math.log(math.exp(cosine(z[i], z[p]) / temperature) / denominator) for p in positives]
        per_anchor.append(-sum(terms) / len(positives))
    if not per_anchor:
        return None
    return sum(per_anchor) / len(per_anchor)
