"""Every external command's failure says what ran and what it printed."""

from __future__ import annotations

import pytest

from deploy.run import CommandError, run


def test_a_successful_command_returns_its_output_with_stderr_interleaved() -> None:
    result = run(["sh", "-c", "echo out; echo err >&2"])
    assert result.returncode == 0
    assert result.output == "out\nerr\n"


def test_a_failure_keeps_the_command_and_its_output_in_the_error() -> None:
    with pytest.raises(CommandError) as caught:
        run(["sh", "-c", "echo 'looking for the disk'; echo 'no space left' >&2; exit 3"])
    error = caught.value
    assert error.returncode == 3
    message = str(error)
    assert "exited with status 3" in message
    assert "sh -c 'echo '\"'\"'looking for the disk'\"'\"'; " in message  # shell-quoted argv
    assert "  looking for the disk\n  no space left" in message


def test_an_error_shows_only_the_end_of_a_long_output() -> None:
    with pytest.raises(CommandError) as caught:
        run(["sh", "-c", "seq 1 100; exit 1"])
    message = str(caught.value)
    assert "  100" in message and "  61\n" in message
    assert "  60\n" not in message
    assert caught.value.output.startswith("1\n")  # the full output stays on the error


def test_check_false_returns_the_failure_instead_of_raising() -> None:
    assert run(["false"], check=False).returncode == 1


def test_a_missing_program_is_a_command_error_naming_it() -> None:
    with pytest.raises(CommandError, match="not found: no-such-program-skiff") as caught:
        run(["no-such-program-skiff", "--flag"])
    assert caught.value.returncode == 127


def test_a_timeout_is_a_command_error_with_the_output_so_far() -> None:
    with pytest.raises(CommandError, match=r"timed out after 0.2 s") as caught:
        run(["sh", "-c", "echo started; exec sleep 5"], timeout=0.2)
    assert "started" in caught.value.output


def test_env_adds_to_the_environment_and_stdin_is_fed() -> None:
    result = run(["sh", "-c", 'read line; echo "$line $SKIFF_X $HOME"'], stdin="hi\n", env={"SKIFF_X": "x"})
    assert result.output.startswith("hi x /")
