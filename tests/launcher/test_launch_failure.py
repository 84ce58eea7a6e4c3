"""launch_failure.describe: the launcher errors that become one line, and whose fault each is (the texts
are submitit 1.5's, as seen on the local SLURM; tests/launcher/test_slurm_sweep.py runs the real ones)."""

from submitit.core.utils import FailedJobError, UncompletedJobError

from viewmaker_cli.launch_failure import describe


def test_sbatch_refusing_the_request_is_the_users_setting():
    error = FailedJobError("sbatch: error: invalid partition specified: gpu\n"
                           "sbatch: error: Batch job submission failed: Invalid partition name specified")
    failure = describe(error)
    assert failure.exit_code == 2 and "\n" not in failure.message
    assert "invalid partition specified: gpu; Batch job submission failed: Invalid partition name" in failure.message


def test_a_scheduler_that_does_not_answer_is_not_the_users_fault():
    error = FailedJobError("sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)")
    failure = describe(error)
    assert failure.exit_code == 1 and "did not take the sweep's jobs: Batch job submission failed: Unable to contact" in failure.message


def test_a_job_killed_without_a_result_names_the_job_and_its_state():
    error = UncompletedJobError("Job 22_1 (task: 0) with path /s/.submitit/22_1/22_1_0_result.pkl\n"
                                "has not produced any output (state: CANCELLED)\nError stream produced:\n----\nlots\nof log")
    failure = describe(error)
    assert failure.exit_code == 1 and "\n" not in failure.message
    assert failure.message.endswith("Job 22_1 (task: 0) with path /s/.submitit/22_1/22_1_0_result.pkl "
                                    "has not produced any output (state: CANCELLED)")


def test_other_errors_are_left_to_hydra():
    assert describe(ValueError("a bug")) is None and describe(FailedJobError("Job got killed")) is None
