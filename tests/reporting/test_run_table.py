"""The table a run prints: one column per probe kind run on the encoder, pretrained beside untrained."""

from viewmaker_cli.reporting.console import print_run_table

CONFIG = {"data": {"name": "d"}, "views": {"name": "learned"}, "objective": {"name": "simclr"}, "budget": 0.05}
PROTOCOL = {"kind": "linear", "layer": "pooled", "epochs": 3, "train_split": "train", "eval_split": "test",
            "selection": "final epoch",
            "kinds": {"linear": {"layer": "pooled"}, "knn": {"layer": "pooled", "k": 200, "temperature": 0.1}}}


def test_every_kind_gets_a_column_with_both_encoders(capsys):
    metrics = {"probe_top1": 78.456, "untrained_probe_top1": 75.5, "knn_top1": 69.05, "untrained_knn_top1": 57.95}
    print_run_table(CONFIG, metrics, PROTOCOL, "results.json")
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    assert "78.46" in rows["pretrained"] and "69.05" in rows["pretrained"]
    assert "75.50" in rows["untrained (same init)"] and "57.95" in rows["untrained (same init)"]
    assert "knn top-1" in out and "k 200, temperature 0.1" in out


def test_a_kind_without_numbers_gets_no_column(capsys):
    print_run_table(CONFIG, {"probe_top1": 70.0}, PROTOCOL, "results.json")
    out = capsys.readouterr().out
    assert "knn" not in out and "70.00" in out and "untrained" not in out


def test_the_table_says_steps_and_sizes_and_flags_a_result_below_the_untrained_one(capsys):
    protocol = {**PROTOCOL, "train_examples": 40, "test_examples": 40}
    metrics = {"probe_top1": 60.0, "untrained_probe_top1": 55.0, "knn_top1": 50.0, "untrained_knn_top1": 52.5}
    print_run_table(CONFIG, metrics, protocol, "results.json", steps=200)
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    out = " ".join(out.split())  # the console wraps long lines at the terminal's width
    assert "200 steps" in out
    assert "train (40 examples)" in out and "test (40 examples: one is 2.5 points)" in out
    assert "k 200" in out and "only 40 training examples" in out
    assert "50.00 below untrained" in rows["pretrained"] and "60.00 below" not in rows["pretrained"]
    assert "below untrained: knn top-1 (%) 50.00 < 52.50" in out
