import subprocess
import sys

import pytest

from engine.cli import COMMANDS, build_parser


def test_engine_help_runs():
    r = subprocess.run([sys.executable, "-m", "engine.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "kinescore-engine" in r.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    assert "usage: kinescore-engine " + command in capsys.readouterr().out


def test_app_help_runs():
    r = subprocess.run([sys.executable, "-m", "gui.app", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--demo" in r.stdout
