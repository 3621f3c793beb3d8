"""Projection heads: the small MLP between an encoder and a contrastive loss (SimCLR, Chen et al. 2020;
GraphCL, You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902, uses two linear layers with a ReLU)."""
from __future__ import annotations

from torch import Tensor, nn

from graphcl.utils.checks import check_positive_int


_ACTIVATIONS = {"relu": nn.ReLU, "prelu": nn.PReLU, "elu": nn.ELU}


class ProjectionHead(nn.Module):
    r"""An MLP ``Linear -> [BatchNorm] -> activation -> ... -> Linear [-> BatchNorm]``: GraphCL's and
    MoCo's projection heads, SimSiam's projector and predictor, BGRL's predictor, GRACE's ELU head.

    Args:
        in_channels (int): input size.
        hidden_channels (int): width of the hidden layers.
        out_channels (int): output size.
        num_layers (int, optional): number of linear layers; ``1`` is a single linear map.
            (default: :obj:`2`)
        batch_norm (bool, optional): batch normalization after each hidden linear layer. (default: :obj:`False`)
        activation (str, optional): ``"relu"``, ``"prelu"`` or ``"elu"``. (default: :obj:`"relu"`)
        output_batch_norm (bool, optional): batch normalization after the last linear layer (SimSiam's
            projector). (default: :obj:`False`)

    Shapes:
        - input: ``[*, in_channels]``
        - output: ``[*, out_channels]``
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2,
                 batch_norm: bool = False, activation: str = "relu", output_batch_norm: bool = False) -> None:
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
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose from {sorted(_ACTIVATIONS)}")
        self.activation = activation
        self.output_batch_norm = output_batch_norm
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        layers: list[nn.Module] = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(fan_in, fan_out))
            if index < num_layers - 1:
                if batch_norm:
                    layers.append(nn.BatchNorm1d(fan_out))
                layers.append(_ACTIVATIONS[activation]())
        if output_batch_norm:
            layers.append(nn.BatchNorm1d(sizes[-1]))
        self.mlp = nn.Sequential(*layers)

    @property
    def config(self) -> dict:
        return {"in_channels": self.in_channels, "hidden_channels": self.hidden_channels,
                "out_channels": self.out_channels, "num_layers": self.num_layers, "batch_norm": self.batch_norm,
                "activation": self.activation, "output_batch_norm": self.output_batch_norm}

    def reset_parameters(self) -> None:
        for module in self.mlp:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def reset_xavier(self) -> None:
        """Xavier-uniform weights and zero biases for every linear layer (GraphCL's official initialisation)."""
        for module in self.mlp:
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def __getitem__(self, index: int) -> nn.Module:
        """Layer ``index`` of the MLP (``Linear``, ``BatchNorm1d`` or activation), as in a ``Sequential``."""
        return self.mlp[index]

    def __len__(self) -> int:
        return len(self.mlp)

    def forward(self, x: Tensor) -> Tensor:
        if x.size(-1) != self.in_channels:
            raise ValueError(f"expected {self.in_channels} input channels, got {x.size(-1)}")
        return self.mlp(x)

    def __repr__(self) -> str:
        extra = f", activation={self.activation!r}" if self.activation != "relu" else ""
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_layers={self.num_layers})")


class ShortcutMLP(nn.Module):
    r"""Three ``Linear -> activation`` blocks plus a linear shortcut: :math:`f(x) = \mathrm{MLP}(x) + Wx`.

    The local and global heads of InfoGraph (``FF`` in the official code, ReLU, Xavier initialisation;
    Sun et al., ICLR 2020, https://arxiv.org/abs/1908.01000) and of graph-level MVGRL (``MLP`` there,
    PReLU, PyTorch's default initialisation; Hassani & Khasahmadi, ICML 2020,
    https://arxiv.org/abs/2006.05582).

    Args:
        in_channels (int): input size.
        out_channels (int, optional): output size (default: ``in_channels``).
        activation (str, optional): ``"relu"`` or ``"prelu"``. (default: :obj:`"relu"`)
        xavier (bool, optional): Xavier-uniform weights and zero biases instead of PyTorch's default
            initialisation. (default: :obj:`True`)

    Shapes:
        - input: ``[*, in_channels]``
        - output: ``[*, out_channels]``
    """

    def __init__(self, in_channels: int, out_channels: int | None = None, activation: str = "relu",
                 xavier: bool = True) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        check_positive_int("in_channels", in_channels)
        check_positive_int("out_channels", out_channels)
        if activation not in ("relu", "prelu"):
            raise ValueError(f"activation must be 'relu' or 'prelu', got {activation!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.activation = activation
        self.xavier = bool(xavier)
        layers: list[nn.Module] = []
        for fan_in in (in_channels, out_channels, out_channels):
            layers += [nn.Linear(fan_in, out_channels), nn.ReLU() if activation == "relu" else nn.PReLU()]
        self.block = nn.Sequential(*layers)
        self.shortcut = nn.Linear(in_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in [*self.block, self.shortcut]:
            if isinstance(module, nn.Linear) and self.xavier:
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
            elif hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if x.size(-1) != self.in_channels:
            raise ValueError(f"expected {self.in_channels} input channels, got {x.size(-1)}")
        return self.block(x) + self.shortcut(x)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"activation={self.activation!r})")
