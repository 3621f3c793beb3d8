"""`graphcl pretrain --method grace|mvgrl` is registered and runs (a few epochs on Cora)."""
import pytest

from graphcl.cli import main


@pytest.mark.parametrize("method, name", [("grace", "GRACE"), ("mvgrl", "MVGRL")])
def test_pretrain_new_methods_run(data_root, tmp_path, capsys, method, name):
    code = main(["pretrain", "--method", method, "--dataset", "Cora", "--epochs", "1", "--runs", "1",
                 "--hidden", "32", "--out", str(tmp_path), "--no-progress"])
    assert code == 0 and f"{name} on Cora" in capsys.readouterr().out
    assert list(tmp_path.glob(f"pretrain_{method}_cora_seed0.json"))


def test_mvgrl_refuses_single_encoder_checkpoint(data_root, tmp_path, capsys):
    code = main(["pretrain", "--method", "mvgrl", "--dataset", "Cora", "--epochs", "1",
                 "--out", str(tmp_path), "--save", str(tmp_path / "m.pt"), "--no-progress"])
    assert code != 0 and "two encoders" in capsys.readouterr().err
