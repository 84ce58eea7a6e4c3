"""core/progress.py: a bar with count and ETA on a terminal, plain start / progress / end lines elsewhere."""

import io

import pytest

from viewmaker_cli.core.progress import Progress, duration, eta_seconds, on_terminal, track


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_eta_is_the_time_left_at_the_rate_of_this_processs_work():
    assert eta_seconds(2, 10, elapsed=4.0) == pytest.approx(16.0)
    assert eta_seconds(6, 10, elapsed=4.0, initial=4) == pytest.approx(8.0)  # resumed at 4: 2 done in 4 s
    assert eta_seconds(10, 10, elapsed=4.0) == 0.0
    assert eta_seconds(0, 10, elapsed=4.0) is None and eta_seconds(3, None, elapsed=1.0) is None


def test_durations_read_as_people_write_them():
    assert (duration(1.234), duration(125), duration(3725)) == ("1.2 s", "2 min 05 s", "1 h 02 min")


def test_off_a_terminal_a_phase_is_a_start_line_progress_lines_with_eta_and_an_end_line():
    stream, clock = io.StringIO(), Clock()
    assert not on_terminal(stream)
    with Progress("training", total=8, unit="step", lines_every=0.25, stream=stream, clock=clock) as progress:
        for step in range(1, 9):
            clock.now += 1.0
            progress.set(step, {"loss": 1.23456})
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0] == "training: started (8 steps)"
    assert lines[1] == "training: 2/8 steps (25%), 2.0 s, ETA 6.0 s, loss=1.23"
    assert [line.split(":")[1].split("(")[0].strip() for line in lines[1:4]] == ["2/8 steps", "4/8 steps", "6/8 steps"]
    assert lines[-1] == "training: done, 8 steps in 8.0 s (loss=1.23)" and len(lines) == 5


def test_the_eta_leaves_out_the_first_steps_one_off_work():
    """A compiled run spends its first step compiling: the time left follows the steps after it."""
    stream, clock = io.StringIO(), Clock()
    with Progress("training", total=100, unit="step", lines_every=0.1, stream=stream, clock=clock) as progress:
        clock.now += 60.0  # step 1: compiling
        progress.set(1)
        for step in range(2, 11):
            clock.now += 1.0
            progress.set(step)
    line = stream.getvalue().splitlines()[1]
    assert line == "training: 10/100 steps (10%), 1 min 09 s, ETA 1 min 30 s", line  # 90 steps at 1 s, not 621 s


def test_a_resumed_phase_counts_from_where_it_starts():
    stream, clock = io.StringIO(), Clock()
    with Progress("training", total=10, unit="step", initial=6, lines_every=0.5, stream=stream, clock=clock) as progress:
        clock.now += 4.0
        progress.set(10)
    assert stream.getvalue().splitlines() == ["training: started (4 steps, from 6/10)", "training: done, 4 steps in 4.0 s"]


def test_without_lines_every_only_the_start_and_end_are_printed():
    stream = io.StringIO()
    with Progress("embedding test", total=100, unit="batch", stream=stream) as progress:
        progress.update(100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0] == "embedding test: started (100 batches)"
    assert lines[1].startswith("embedding test: done, 100 batches in ")


def test_a_failed_phase_says_when_it_stopped():
    stream = io.StringIO()
    with pytest.raises(RuntimeError), Progress("linear probe", total=3, unit="epoch", stream=stream) as progress:
        progress.update()
        raise RuntimeError("boom")
    assert stream.getvalue().splitlines()[-1].startswith("linear probe: stopped after 1 epoch in ")


def test_on_a_terminal_it_is_a_bar_with_the_total_and_an_eta():
    stream = FakeTerminal()
    with Progress("training", total=5, unit="step", stream=stream) as progress:
        for _ in range(5):
            progress.update(postfix={"loss": 0.5})
    out = stream.getvalue()
    assert "\r" in out and "training" in out and "5/5" in out and "loss=0.5" in out
    assert "<" in out  # tqdm's elapsed<remaining
    assert "started" not in out and "done" not in out


def test_track_takes_the_total_from_the_items_and_off_a_terminal_prints_on_stdout(capsys):
    assert list(track(range(3), "decoding", unit="image")) == [0, 1, 2]
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "decoding: started (3 images)" and lines[1].startswith("decoding: done, 3 images in ")
    assert err == ""  # stderr is for errors


def test_track_interrupted_in_the_callers_loop_says_stopped_not_done(capsys):
    # Ctrl+C while the caller works on an item: the generator is only closed (GeneratorExit), never told why
    def embed():
        for batch in track(range(12), "embedding", unit="batch"):
            if batch == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed()
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("embedding: stopped after 3 batches in "), last
