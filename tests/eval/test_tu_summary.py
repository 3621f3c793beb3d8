"""summarize_tu: one row per method, dataset and budget; a rerun of a seed replaces it."""
from graphcl.eval.unsupervised_tu import summarize_tu


def record(seed, accuracy, epochs, hidden):
    return {"method": "mvgrl", "dataset": "MUTAG", "seed": seed, "accuracy": accuracy,
            "config": {"epochs": epochs, "lr": 0.001, "num_layers": 4, "hidden_channels": hidden},
            "seconds_per_epoch": 1.0, "peak_memory_mb": 10.0, "load_average": [1.0, 1.0, 1.0]}


def rows(text):
    return [line for line in text.splitlines() if line.startswith("| mvgrl |")]


def test_budgets_get_their_own_rows_and_reruns_replace_seeds():
    records = [record(0, 0.80, 20, 128), record(1, 0.90, 20, 128), record(0, 0.50, 40, 512),
               record(0, 0.70, 20, 128)]  # the last one reruns seed 0 at the first budget
    table = rows(summarize_tu(records))
    assert len(table) == 2
    small = next(line for line in table if "20 / 0.001" in line)
    large = next(line for line in table if "40 / 0.001" in line)
    assert "80.00 ± 10.00" in small and "| 2 |" in small  # seeds 0 (rerun: 70) and 1 (90)
    assert "50.00" in large and "| 1 |" in large
