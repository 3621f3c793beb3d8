import json

import pytest
import torch

from graphcl.utils import (
    atomic_save,
    atomic_write_json,
    load_checkpoint,
    make_generator,
    resolve_device,
)


def test_resolve_device_auto_and_explicit():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            resolve_device("cuda")


def test_atomic_json_and_checkpoint_roundtrip(tmp_path):
    path = atomic_write_json(tmp_path / "sub" / "result.json", {"acc": torch.tensor(0.5), "p": tmp_path})
    assert json.loads(path.read_text()) == {"acc": 0.5, "p": str(tmp_path)}
    state = {"w": torch.arange(3.0)}
    atomic_save(state, tmp_path / "ckpt.pt")
    assert torch.equal(load_checkpoint(tmp_path / "ckpt.pt")["w"], state["w"])
    # no temporary files are left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt", "sub"]
    with pytest.raises(FileNotFoundError, match="Checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_atomic_write_keeps_old_file_when_serialization_fails(tmp_path):
    path = atomic_write_json(tmp_path / "r.json", {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_generator_is_deterministic():
    a = torch.rand(5, generator=make_generator(3))
    b = torch.rand(5, generator=make_generator(3))
    assert torch.equal(a, b)


def test_results_helpers(tmp_path):
    from graphcl.utils import append_jsonl, format_mean_std, markdown_table, mean_std, read_jsonl

    assert mean_std([1.0, 3.0]) == (2.0, 1.0)
    assert format_mean_std([0.8, 0.9], scale=100) == "85.00 ± 5.00"
    append_jsonl(tmp_path / "r.jsonl", {"seed": 0})
    append_jsonl(tmp_path / "r.jsonl", {"seed": 1})
    assert [r["seed"] for r in read_jsonl(tmp_path / "r.jsonl")] == [0, 1]
    assert markdown_table(["a", "b"], [[1, 2]]).splitlines()[2] == "| 1 | 2 |"


def test_environment_info_names_versions_and_machine():
    from graphcl.utils import environment_info, peak_memory_mb

    info = environment_info()
    assert info["versions"]["torch"].startswith("2.")
    assert info["machine"]["cpu_count"] >= 1
    assert peak_memory_mb() > 0


def test_evaluation_mode_restores_training_flag_even_on_error():
    from graphcl.utils import evaluation_mode

    module = torch.nn.Sequential(torch.nn.Dropout(0.5))
    module.train()
    with evaluation_mode(module):
        assert not module.training and not module[0].training
    assert module.training and module[0].training
    with pytest.raises(RuntimeError):
        with evaluation_mode(module):
            raise RuntimeError("boom")
    assert module.training
    module.eval()
    with evaluation_mode(module):
        pass
    assert not module.training


def test_check_positive_int_accepts_integers_and_names_the_argument():
    import numpy as np

    from graphcl.utils.checks import check_positive_int

    assert check_positive_int("epochs", 3) == 3
    assert check_positive_int("epochs", np.int64(2)) == 2 and type(check_positive_int("k", np.int32(1))) is int
    assert check_positive_int("patience", None, optional=True) is None
    for bad in (0, -1, 2.0, "3", True, None):
        with pytest.raises(ValueError, match="epochs must be a positive integer, got"):
            check_positive_int("epochs", bad)
    with pytest.raises(ValueError, match="or None"):
        check_positive_int("patience", 0, optional=True)


def test_atomic_path_renames_on_success_and_cleans_up_on_error(tmp_path):
    from graphcl.utils.io import atomic_path

    target = tmp_path / "sub" / "out.bin"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and not target.exists()
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"new"  # the old file stays whole
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]  # no temporary file left
