from graphcl.cli import build_parser, main


def test_cli_lists_subcommands():
    help_text = build_parser().format_help()
    assert "data" in help_text


def test_cli_data_summarizes_cora(data_root, capsys):
    assert main(["data", "--dataset", "Cora"]) == 0
    out = capsys.readouterr().out
    assert "2708 nodes" in out and "10556 edges" in out
