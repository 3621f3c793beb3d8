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


def debiased(z1, z2, temperature, tau_plus, beta=0.0) -> float:
    """Official DCL / HCL form in exponential space: N_g = max((R - N tau+ pos) / (1 - tau+), N e^{-1/t})."""
    z = torch.cat([z1, z2]).double()
    n = z1.size(0)
    total = 0.0
    for i in range(2 * n):
        partner = i + n if i < n else i - n
        pos = math.exp(cosine(z[i], z[partner]) / temperature)
        neg = [math.exp(cosine(z[i], z[k]) / temperature) for k in range(2 * n) if k not in (i, partner)]
        big_n = len(neg)
        importance = [v ** beta for v in neg]
        reweighted = sum(w * v for w, v in zip(importance, neg)) / (sum(importance) / big_n)
        n_g = (-tau_plus * big_n * pos + reweighted) / (1 - tau_plus)
        n_g = max(n_g, big_n * math.exp(-1 / temperature))
        total += -math.log(pos / (pos + n_g))
    return total / (2 * n)


def distance(a, b, squared=False) -> float:
    d2 = float(((a.double() - b.double()) ** 2).sum())
    return d2 if squared else math.sqrt(d2)


def unit(z):
    return z.double() / z.double().norm(dim=1, keepdim=True)


def margin_contrastive(z1, z2, margin, pair_labels=None, normalize=True) -> float:
    if normalize:
        z1, z2 = unit(z1), unit(z2)
    n = z1.size(0)
    if pair_labels is not None:
        total = 0.0
        for i in range(n):
            d = distance(z1[i], z2[i])
            total += 0.5 * d * d if int(pair_labels[i]) == 1 else 0.5 * max(0.0, margin - d) ** 2
        return total / n
    similar = sum(0.5 * distance(z1[i], z2[i]) ** 2 for i in range(n)) / n
    dissimilar = [0.5 * max(0.0, margin - distance(z1[i], z2[j])) ** 2 for i in range(n) for j in range(n)
                  if i != j]
    return similar + sum(dissimilar) / len(dissimilar)


def triplet(z1, z2, margin, negatives=None, mining="all", normalize=True, squared=True, symmetric=True) -> float:
    def one_direction(anchor, positive):
        n = anchor.size(0)
        per_anchor = []
        for i in range(n):
            d_ap = distance(anchor[i], positive[i], squared)
            candidates = [positive[j] for j in range(n) if j != i]
            if negatives is not None:
                candidates += list(extra)
            d_an = [distance(anchor[i], c, squared) for c in candidates]
            if mining == "all":
                per_anchor += [max(0.0, d_ap - d + margin) for d in d_an]
                continue
            if mining == "hard":
                chosen = min(d_an)
            else:
                farther = [d for d in d_an if d > d_ap]
                chosen = min(farther) if farther else min(d_an)
            per_anchor.append(max(0.0, d_ap - chosen + margin))
        return sum(per_anchor) / len(per_anchor)

    extra = None
    if normalize:
        z1, z2 = unit(z1), unit(z2)
        extra = unit(negatives) if negatives is not None else None
    elif negatives is not None:
        extra = negatives.double()
    forward = one_direction(z1, z2)
    return (forward + one_direction(z2, z1)) / 2 if symmetric else forward


def n_pair(z1, z2, l2_reg=0.0, symmetric=False) -> float:
    def one_direction(anchor, positive):
        n = anchor.size(0)
        total = 0.0
        for i in range(n):
            own = float(anchor[i] @ positive[i])
            total += math.log(1 + sum(math.exp(float(anchor[i] @ positive[j]) - own) for j in range(n) if j != i))
        return total / n

    z1, z2 = z1.double(), z2.double()
    loss = one_direction(z1, z2)
    if symmetric:
        loss = (loss + one_direction(z2, z1)) / 2
    n = z1.size(0)
    norms = sum(float(z1[i] @ z1[i]) + float(z2[i] @ z2[i]) for i in range(n)) / (2 * n)
    return loss + l2_reg * norms


def info_nce(query, key, negatives, temperature) -> float:
    n = query.size(0)
    total = 0.0
    for i in range(n):
        positive = math.exp(cosine(query[i].double(), key[i].double()) / temperature)
        if negatives is None:
            others = [key[j] for j in range(n) if j != i]
        else:
            others = list(negatives)
        denominator = positive + sum(math.exp(cosine(query[i].double(), o.double()) / temperature) for o in others)
        total += -math.log(positive / denominator)
    return total / n


def byol(p, z) -> float:
    return sum(2 - 2 * cosine(p[i].double(), z[i].double()) for i in range(p.size(0))) / p.size(0)


def simsiam(p, z) -> float:
    return -sum(cosine(p[i].double(), z[i].double()) for i in range(p.size(0))) / p.size(0)
