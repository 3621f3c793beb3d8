"""Independent reference of the local-global Jensen-Shannon estimator: a plain loop over node-graph pairs."""
import math


def softplus(v: float) -> float:
    return math.log1p(math.exp(-abs(v))) + max(v, 0.0)


def jsd_pair_loop(nodes, graphs, batch) -> float:
    """-(E_pos[log 2 - sp(-s)] - E_neg[sp(s) - log 2]) over every (node, graph) pair; a node's own graph is
    its positive, every other graph a negative."""
    positives, negatives = [], []
    for i in range(nodes.shape[0]):
        for g in range(graphs.shape[0]):
            score = float((nodes[i] * graphs[g]).sum())
            (positives if g == batch[i] else negatives).append(score)
    return (sum(softplus(n) - math.log(2) for n in negatives) / len(negatives)
            - sum(math.log(2) - softplus(-p) for p in positives) / len(positives))
