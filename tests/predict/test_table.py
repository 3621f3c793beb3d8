import numpy as np
import pytest

from graphcl.predict import read_molecule_table


def test_reads_targets_with_missing_labels(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name,SMILES,a,b\nx,CCO,1.5,\ny, CCN ,,0\nz,bad,2,1\n")
    table = read_molecule_table(path, "SMILES", ["a", "b"])
    assert table.smiles == ["CCO", "CCN", "bad"] and table.lines == [2, 3, 4]
    np.testing.assert_array_equal(table.targets, [[1.5, np.nan], [np.nan, 0.0], [2.0, 1.0]])
    # the SMILES column is found by name in any case; every other column is a target, so `name` is refused
    with pytest.raises(ValueError, match="target column 'name' has 3 non-numeric"):
        read_molecule_table(path)
    assert read_molecule_table(path, with_targets=False).smiles_column == "SMILES"


def test_default_targets_are_the_other_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("smiles,a,b\nCCO,1,2\n")
    assert read_molecule_table(path).target_columns == ["a", "b"]


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("smiles,a\nCCO,1\n")
    with pytest.raises(ValueError, match=r"no target column\(s\) \['b', 'c'\]"):
        read_molecule_table(path, "smiles", ["a", "b", "c"])
    with pytest.raises(ValueError, match="no SMILES column 'mol'.*columns: \\['smiles', 'a'\\]"):
        read_molecule_table(path, "mol", ["a"])
    (tmp_path / "n.csv").write_text("structure,a\nCCO,1\n")
    with pytest.raises(ValueError, match="no SMILES column.*--smiles-column"):
        read_molecule_table(tmp_path / "n.csv")


def test_empty_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_molecule_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("smiles,a\n")
    with pytest.raises(ValueError, match="header but no data rows"):
        read_molecule_table(tmp_path / "header.csv")
    (tmp_path / "empty.smi").write_text("\n\n")
    with pytest.raises(ValueError, match="no SMILES"):
        read_molecule_table(tmp_path / "empty.smi")
    with pytest.raises(FileNotFoundError):
        read_molecule_table(tmp_path / "nope.csv")


def test_non_numeric_targets_name_column_line_and_value(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("smiles,a\nCCO,1\nCCN,active\nCCC,\n")
    with pytest.raises(ValueError, match=r"target column 'a' has 1 non-numeric value\(s\) \(line 3: 'active'\)"):
        read_molecule_table(path, "smiles", ["a"])


def test_smiles_list(tmp_path):
    path = tmp_path / "m.smi"
    path.write_text("smiles\nCCO id1\n\nc1ccccc1\n")
    table = read_molecule_table(path, with_targets=False)
    assert table.smiles == ["CCO", "c1ccccc1"] and table.lines == [2, 4] and table.frame is None
