r"""MoCL: molecular contrastive learning with domain knowledge (Sun et al., KDD 2021,
https://arxiv.org/abs/2106.04509).

Local knowledge: two views of each molecule by DK-k substructure substitution (bioisosteric rules),
contrasted with a symmetric NT-Xent (temperature 0.5, positive left out of the denominator).
Global knowledge: Tanimoto similarity of Morgan fingerprints, either as extra positives (each molecule's
top-k neighbours found in the batch, :class:`NeighbourContrastLoss`) or as a regression target for the
cosine similarity of embeddings (:class:`SimilarityRegressionLoss`). Total loss
:math:`\mathcal{L}_{local} + \lambda \mathcal{L}_{global}`, the global term on the un-augmented batch.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment.chemistry import SubstructureSubstitution
from graphcl.data.fingerprint_neighbours import fingerprint_bits, tanimoto_matrix, tanimoto_neighbours
from graphcl.losses.nt_xent import nt_xent_loss
from graphcl.methods.base import Method, encode_graphs, encoder_channels
from graphcl.nn.molecule_gin import MoleculeGINEncoder
from graphcl.nn.projection import ProjectionHead


class _SmilesRows:
    """Maps SMILES strings to rows of a per-molecule table."""

    def __init__(self, smiles: Sequence[str]):
        if len(smiles) == 0:
            raise ValueError("global knowledge needs the dataset's SMILES")
        self.rows: dict[str, int] = {}
        for row, text in enumerate(smiles):
            self.rows.setdefault(str(text), row)

    def __call__(self, smiles: Sequence[str] | str, device) -> Tensor:
        if isinstance(smiles, str):
            smiles = [smiles]
        try:
            return torch.tensor([self.rows[s] for s in smiles], dtype=torch.long, device=device)
        except KeyError as error:
            raise ValueError(f"molecule {error.args[0]!r} is not in the table the global loss was built on") \
                from None


class NeighbourContrastLoss(nn.Module):
    r"""Fingerprint neighbours as extra positives (MoCL's global InfoNCE).

    For anchor :math:`i` of a batch, positives :math:`P(i)` are ``i`` itself and those of its top-k Tanimoto
    neighbours present in the batch; the loss is
    :math:`-\log \frac{\sum_{j \in P(i)} e^{s_{ij}/T}}{\sum_{j \notin P(i)} e^{s_{ij}/T}}` with cosine
    similarities :math:`s`, averaged over anchors that have negatives.

    Args:
        neighbours (FingerprintNeighbours): from :func:`~graphcl.data.fingerprint_neighbours.tanimoto_neighbours`.
        smiles (sequence of str): the SMILES the neighbours were computed on (same order).
        temperature (float, optional): (default: ``0.5``)
    """

    def __init__(self, neighbours, smiles: Sequence[str], temperature: float = 0.5):
        super().__init__()
        if len(neighbours) != len(smiles):
            raise ValueError(f"{len(neighbours)} neighbour rows for {len(smiles)} SMILES")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = float(temperature)
        self.k = neighbours.k
        self.rows = _SmilesRows(smiles)
        self.register_buffer("neighbour_index", neighbours.index.long(), persistent=False)

    def positive_mask(self, rows: Tensor) -> Tensor:
        """``[B, B]`` bool: ``j`` is ``i`` or one of ``i``'s neighbours."""
        neighbours = self.neighbour_index[rows]  # [B, k]
        mask = (neighbours.unsqueeze(1) == rows.view(1, -1, 1)).any(-1)
        return mask | torch.eye(len(rows), dtype=torch.bool, device=rows.device)

    def forward(self, z: Tensor, smiles: Sequence[str]) -> Tensor:
        rows = self.rows(smiles, z.device)
        z = nn.functional.normalize(z, dim=1)
        logits = z @ z.t() / self.temperature
        positive = self.positive_mask(rows) | (rows.view(-1, 1) == rows.view(1, -1))  # duplicates are positives
        negative = ~positive
        has_negative = negative.any(1)
        if not has_negative.any():
            return z.sum() * 0.0
        minus_inf = torch.finfo(logits.dtype).min
        log_positive = torch.logsumexp(logits.masked_fill(negative, minus_inf), dim=1)
        log_negative = torch.logsumexp(logits.masked_fill(positive, minus_inf), dim=1)
        return (log_negative - log_positive)[has_negative].mean()

    def extra_repr(self) -> str:
        return f"k={self.k}, temperature={self.temperature:g}"


class SimilarityRegressionLoss(nn.Module):
    r"""Regress the cosine similarity of embeddings onto Tanimoto similarity (MoCL's global MSE).

    Tanimoto similarities of the batch's molecules are computed on the fly from packed Morgan bits
    (``[B, B]`` per batch), so no :math:`n \times n` matrix is ever stored.

    Args:
        smiles (sequence of str): the dataset's molecules.
        radius (int, optional): Morgan radius. (default: ``3``)
        n_bits (int, optional): fingerprint length. (default: ``2048``)
    """

    def __init__(self, smiles: Sequence[str], radius: int = 3, n_bits: int = 2048):
        super().__init__()
        if n_bits % 8:
            raise ValueError(f"n_bits must be a multiple of 8, got {n_bits}")
        self.radius, self.n_bits = radius, n_bits
        self.rows = _SmilesRows(smiles)
        packed = np.packbits(fingerprint_bits(list(smiles), radius, n_bits).numpy(), axis=1)
        self.register_buffer("packed_bits", torch.from_numpy(packed), persistent=False)
        self.register_buffer("_shifts", torch.arange(7, -1, -1, dtype=torch.uint8), persistent=False)

    def bits(self, rows: Tensor) -> Tensor:
        """Unpacked fingerprints ``[B, n_bits]`` of table rows."""
        packed = self.packed_bits[rows]
        return ((packed.unsqueeze(-1) >> self._shifts) & 1).reshape(len(rows), -1).bool()

    def forward(self, z: Tensor, smiles: Sequence[str]) -> Tensor:
        rows = self.rows(smiles, z.device)
        target = tanimoto_matrix(self.bits(rows), self.bits(rows)).to(z.dtype)
        z = nn.functional.normalize(z, dim=1)
        return nn.functional.mse_loss(z @ z.t(), target)

    def extra_repr(self) -> str:
        return f"radius={self.radius}, n_bits={self.n_bits}"


class MoCL(Method):
    r"""MoCL pretraining.

    Args:
        encoder (nn.Module): graph encoder with ``out_channels`` (MoCL: GIN 3 x 512, dropout 0.5, mean pool,
            e.g. ``MoleculeGINEncoder(512, 3, p=0.5)``).
        substitution (SubstructureSubstitution): DK-k local augmentation (its ``k`` is the rule depth).
        global_loss (nn.Module, optional): :class:`NeighbourContrastLoss` or :class:`SimilarityRegressionLoss`;
            ``None`` trains with local knowledge only. (default: ``None``)
        lam (float, optional): weight :math:`\lambda` of the global term. (default: ``1.0``)
        temperature (float, optional): NT-Xent temperature of the local term. (default: ``0.5``)
        projection_channels (tuple, optional): hidden and output width of the projection head.
            (default: ``(128, 128)``)
        generator (torch.Generator, optional): kept for the contract; the substitution draws from its own
            generator (given to :class:`~graphcl.augment.SubstructureSubstitution`). (default: ``None``)

    Batches must carry ``smiles`` per graph (as :func:`graphcl.data.load_moleculenet` graphs do).

    Shapes:
        - :meth:`embed`: -> ``[B, d]`` encoder graph embeddings
    """

    def __init__(self, encoder: nn.Module, substitution, global_loss: Optional[nn.Module] = None, lam: float = 1.0,
                 temperature: float = 0.5, projection_channels: tuple[int, int] = (128, 128),
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        if not callable(substitution):
            raise TypeError("substitution must be callable on a batch (e.g. SubstructureSubstitution)")
        if lam < 0:
            raise ValueError(f"lam must be non-negative, got {lam}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.encoder = encoder
        self.substitution = substitution
        self.global_loss = global_loss
        self.lam = float(lam)
        self.temperature = float(temperature)
        hidden, out = projection_channels
        self.projection = ProjectionHead(channels, hidden, out)

    @property
    def config(self) -> dict:
        """Constructor arguments, plus the substitution depth and the number of global neighbours."""
        return {**super().config, "depth": getattr(self.substitution, "k", None),
                "neighbours": getattr(self.global_loss, "k", None)}

    def project(self, data: Data) -> Tensor:
        return self.projection(encode_graphs(self.encoder, data))

    def views(self, data: Data) -> tuple[Data, Data]:
        """Two independent DK-k substitutions of every molecule, on the batch's device."""
        device = data.x.device
        return self.substitution(data.cpu()).to(device), self.substitution(data.cpu()).to(device)

    def local_loss(self, first: Data, second: Data) -> Tensor:
        return nt_xent_loss(self.project(first), self.project(second), self.temperature, exclude_positive=True,
                            symmetric=True)

    def loss(self, data: Data | Sequence[Data]) -> Tensor:
        """``L_local + lam * L_global`` of a batch of molecules.

        ``data`` may also be ``[batch, first_view, second_view]`` with the views already made (by
        :class:`graphcl.data.views.AugmentedViews`, in DataLoader workers).
        """
        views = None
        if isinstance(data, (list, tuple)):
            data, *views = data
            if len(views) != 2:
                raise ValueError(f"expected [batch, first_view, second_view], got {len(views) + 1} items")
        smiles = getattr(data, "smiles", None)
        if smiles is None:
            raise ValueError("MoCL needs a 'smiles' string on every graph of the batch")
        loss = self.local_loss(*(views if views is not None else self.views(data)))
        if self.global_loss is not None and self.lam > 0:
            loss = loss + self.lam * self.global_loss(self.project(data), smiles)
        return loss

    def embedding(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]``."""
        return encode_graphs(self.encoder, data)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(encoder={self.encoder!r}, substitution={self.substitution!r}, "
                f"global_loss={self.global_loss!r}, lam={self.lam:g})")


GLOBAL_MODES = (None, "contrast", "regression")


def build_mocl(smiles: Sequence[str], encoder: Optional[nn.Module] = None, rules=None, depth: int = 1,
               global_mode: Optional[str] = None, k: int = 50, lam: float = 1.0, radius: int = 3,
               n_bits: int = 2048, generator: Optional[torch.Generator] = None, cache_dir=None,
               show_progress: bool = False, featurizer: Optional[str] = None) -> MoCL:
    """A :class:`MoCL` for a dataset with MoCL's model defaults (GIN 3 x 512, dropout 0.5, mean pooling).

    Args:
        smiles (sequence of str): the dataset's molecules (pretraining is done on the dataset itself).
        rules: rule set for substitution (``None``: the project's rules; a path: e.g. MoCL's JSON file).
        depth (int): DK-k depth (number of substitutions in sequence).
        global_mode (str, optional): ``None`` (local only), ``"contrast"`` (neighbours as positives) or
            ``"regression"`` (cosine onto Tanimoto).
        k (int): neighbours per molecule for ``"contrast"``.
        featurizer (str, optional): ``"ogb"`` or ``"hu2020"``, the features of the substituted views and of the
            default encoder; default: the given encoder's (OGB without one). A mismatch is an error.
    """
    if global_mode not in GLOBAL_MODES:
        raise ValueError(f"global_mode must be one of {GLOBAL_MODES}, got {global_mode!r}")
    smiles = [str(s) for s in smiles]
    encoder_featurizer = getattr(encoder, "config", {}).get("featurizer") if encoder is not None else None
    if featurizer is not None and encoder_featurizer is not None and featurizer != encoder_featurizer:
        raise ValueError(f"featurizer {featurizer!r} does not match the encoder's features ({encoder_featurizer!r})")
    featurizer = featurizer or encoder_featurizer or "ogb"
    encoder = encoder if encoder is not None else MoleculeGINEncoder(hidden_channels=512, num_layers=3, p=0.5,
                                                                     featurizer=featurizer)
    substitution = SubstructureSubstitution(rules, k=depth, generator=generator, featurizer=featurizer)
    substitution.fit(smiles, cache_dir=cache_dir, show_progress=show_progress)
    global_loss = None
    if global_mode == "contrast":
        neighbours = tanimoto_neighbours(smiles, k=k, radius=radius, n_bits=n_bits, on_invalid="skip")
        global_loss = NeighbourContrastLoss(neighbours, smiles)
    elif global_mode == "regression":
        global_loss = SimilarityRegressionLoss(smiles, radius=radius, n_bits=n_bits)
    return MoCL(encoder, substitution, global_loss=global_loss, lam=lam, generator=generator)
