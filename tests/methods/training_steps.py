"""A few Adam steps on one batch, for the tests that check a method's loss goes down."""
import torch


def adam_steps(model: torch.nn.Module, batch, steps: int = 15, lr: float = 0.01) -> list[float]:
    """``steps`` updates of ``model.loss(batch)``; returns the loss before each update."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = model.loss(batch)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses
