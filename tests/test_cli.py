"""``chainrule grad`` from the command line, text and JSON, both modes."""
import json
import subprocess
import sys

import pytest

from app.cli import main


def test_grad_text(capsys):
    assert main(["grad", "(x + y) * z", "--at", "x=-2", "y=5", "z=-4"]) == 0
    assert capsys.readouterr().out.splitlines() == ["f = -12", "∂f/∂x = -4", "∂f/∂y = -4", "∂f/∂z = 3"]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_grad_json_both_modes(capsys, mode):
    assert main(["grad", "(x + y) * z", "--at", "x=-2", "y=5", "z=-4", "--json", "--mode", mode]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == -12.0 and out["grads"] == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_forward_mode_agrees_on_a_harder_expression(capsys):
    expr = "s = sigmoid(w0*x0 + w1*x1 + w2)"
    at = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
    main(["grad", expr, "--at", *at, "--json"])
    rev = json.loads(capsys.readouterr().out)["grads"]
    main(["grad", expr, "--at", *at, "--json", "--mode", "forward"])
    fwd = json.loads(capsys.readouterr().out)["grads"]
    assert fwd == pytest.approx(rev)


@pytest.mark.parametrize("args, message", [
    (["grad", "(x + ) * z", "--at", "x=1", "z=2"], "syntax error"),
    (["grad", "x * y", "--at", "x=1"], "no value given for y"),
    (["grad", "x * y", "--at", "x=1", "y=2", "w=3"], "w not used"),
    (["grad", "x * y", "--at", "x=one", "y=2"], "not a number"),
    (["grad", "open('f')", "--at"], "unknown function 'open'"),
])
def test_bad_input_exits_nonzero_with_a_message(capsys, args, message):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_console_entry_point_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "app", "grad", "x * x", "--at", "x=3", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["grads"] == {"x": 6.0}
