import sys

import torch

from graphcl.cli import main


def test_embeddings_command_prints_diagnostics_and_plots(tmp_path, capsys):
    z = torch.randn(20, 6)
    torch.save({"embeddings": z, "labels": torch.arange(20) % 2, "embeddings_view2": z + 0.1}, tmp_path / "e.pt")
    args = [str(tmp_path / "e.pt")]
    if _has_matplotlib():
        args += ["--plot", str(tmp_path / "e.png")]
    assert main(["embeddings", *args]) == 0
    out = capsys.readouterr().out
    assert "20 embeddings of dimension 6" in out and "uniformity" in out and "alignment" in out
    if "--plot" in args:
        assert (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"


def test_embeddings_command_reports_user_errors(tmp_path, capsys, monkeypatch):
    assert main(["embeddings", str(tmp_path / "missing.pt")]) == 2
    assert "not found" in capsys.readouterr().err
    torch.save({"weights": torch.zeros(2)}, tmp_path / "bad.pt")
    assert main(["embeddings", str(tmp_path / "bad.pt")]) == 2
    assert "'embeddings'" in capsys.readouterr().err
    torch.save(torch.randn(5, 3), tmp_path / "plain.pt")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["embeddings", str(tmp_path / "plain.pt"), "--plot", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert "graphcl[plot]" in err and "Traceback" not in err


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
