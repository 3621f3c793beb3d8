"""Projection heads: the small MLP between an encoder and a contrastive loss (SimCLR, Chen et al. 2020;
GraphCL, You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902, uses two linear layers with a ReLU)."""
from __future__ import annotations

from torch import Tensor, nn

from graphcl.utils.checks import check_positive_int


_ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU}


class ProjectionHead(nn.Module):
    r"""An MLP ``Linear -> [BatchNorm] -> ReLU (or ELU) -> ... -> Linear``.

    Args:
        in_channels (int): input size.
        hidden_channels (int): width of the hidden layers.
        out_channels (int): output size.
        num_layers (int, optional): number of linear layers; ``1`` is a single linear map.
            (default: :obj:`2`)
        batch_norm (bool, optional): batch normalization after each hidden linear layer. (default: :obj:`False`)
        activation (str, optional): ``"relu"`` or ``"elu"`` (GRACE's head). (default: :obj:`"relu"`)

    Shapes:
        - input: ``[*, in_channels]``
        - output: ``[*, out_channels]``
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2,
                 batch_norm: bool = False, activation: str = "relu") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("out_channels", out_channels), ("num_layers", num_layers)):
            check_positive_int(name, value)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.batch_norm = batch_norm
        self.activation = activation
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        layers: list[nn.Module] = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(fan_in, fan_out))
            if index < num_layers - 1:
                if batch_norm:
                    layers.append(nn.BatchNorm1d(fan_out))
                layers.append(_ACTIVATIONS[activation]())
        self.mlp = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        for module in self.mlp:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if x.size(-1) != self.in_channels:
            raise ValueError(f"expected {self.in_channels} input channels, got {x.size(-1)}")
        return self.mlp(x)

    def __repr__(self) -> str:
        extra = f", activation={self.activation!r}" if self.activation != "relu" else ""
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_layers={self.num_layers}{extra})")
