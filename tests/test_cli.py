"""``chainrule grad`` from the command line, text and JSON, both modes."""
import json
import os
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


# -- one parser: every option and command is in --help, each with an example --------------------------

def test_top_level_help_lists_the_app_options_and_every_command_with_an_example(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    for option in ("--example", "--mode", "--theme", "--screenshot", "--step", "--size"):
        assert option in out
    for command in ("grad", "examples", "lessons", "export"):
        assert f"\n    {command} " in out and f"chainrule {command}" in out
    assert "chainrule --example sigmoid-neuron" in out and "chainrule --screenshot out.png" in out


@pytest.mark.parametrize("command, example", [
    ("grad", 'chainrule grad "(x + y) * z" --at x=-2 y=5 z=-4'), ("examples", "chainrule examples"),
    ("lessons", "chainrule lessons"), ("export", "chainrule export chain-rule --scene 3"),
])
def test_each_command_has_help_with_an_example(capsys, command, example):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "example" in out and example in out


def test_the_window_takes_its_options_from_the_same_parser():
    import inspect

    from app import main_window
    from app.cli import build_parser
    args = build_parser().parse_args(["--example", "add-mul", "--step", "end", "--size", "800x600"])
    assert (args.example, args.step, args.size, args.command) == ("add-mul", "end", (800, 600), None)
    assert "ArgumentParser(" not in inspect.getsource(main_window), "the window declares no options of its own"


# -- numbers at singularities: inf/nan with a note, never a traceback; --json stays strict -------------

def _strict(text):
    def refuse(token):
        raise AssertionError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


SINGULAR = [
    pytest.param("1/x", ["x=0"], "inf", {"x": "-inf"}, id="1/x at 0"),
    pytest.param("sqrt(x)", ["x=0"], 0.0, {"x": "inf"}, id="sqrt at 0"),
    pytest.param("log(x)", ["x=0"], "-inf", {"x": "inf"}, id="log at 0"),
    pytest.param("x ** y", ["x=0", "y=0"], 1.0, None, id="0 ** 0"),
    pytest.param("x ** 0.5", ["x=-1"], "nan", {"x": "nan"}, id="sqrt of -1 by pow"),
    pytest.param("y ** 10", ["y=1e300"], "inf", {"y": "inf"}, id="overflow"),
    pytest.param("log(x)", ["x=-1"], "nan", {"x": -1.0}, id="log at -1"),
    pytest.param("sqrt(x)", ["x=-4"], "nan", {"x": "nan"}, id="sqrt at -4"),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("expression, at, value, grads", SINGULAR)
def test_singularities_give_inf_or_nan_with_a_note_in_strict_json(capsys, mode, expression, at, value, grads):
    assert main(["grad", expression, "--at", *at, "--json", "--mode", mode]) == 0
    out = _strict(capsys.readouterr().out)
    assert out["value"] == value
    if grads is not None:
        assert out["grads"] == grads
    about = {note["about"] for note in out["notes"]}
    for name, g in [("value", out["value"]), *out["grads"].items()]:
        assert (name in about) == isinstance(g, str), f"{name} = {g}: notes {out['notes']}"


@pytest.mark.parametrize("expression, at, value, grads", SINGULAR)
def test_singularities_in_text_carry_a_note_on_every_line_that_is_not_finite(capsys, expression, at, value, grads):
    assert main(["grad", expression, "--at", *at]) == 0
    for line in capsys.readouterr().out.splitlines():
        number = line.split("=", 1)[1].split("(")[0].strip()
        assert ("(note: " in line) == (number in ("inf", "-inf", "nan")), line


def test_the_note_names_the_operation_and_the_input_values(capsys):
    assert main(["grad", "log(x)", "--at", "x=-1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["f = nan   (note: log(x) at x = -1 is undefined)", "∂f/∂x = -1"]


def test_one_over_x_at_zero_in_text(capsys):
    assert main(["grad", "1/x", "--at", "x=0"]) == 0
    assert capsys.readouterr().out.splitlines() == ["f = inf   (note: 1/x at x = 0 divides by zero)",
                                                    "∂f/∂x = -inf   (note: ∂(1/x)/∂x = -inf at x = 0)"]


def test_json_notes_are_an_empty_list_when_everything_is_finite(capsys):
    assert main(["grad", "x * y", "--at", "x=2", "y=3", "--json"]) == 0
    assert _strict(capsys.readouterr().out)["notes"] == []


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_sum_of_ten_thousand_terms_from_the_command_line(capsys, mode):
    assert main(["grad", "+".join(["x"] * 10_000), "--at", "x=0.5", "--json", "--mode", mode]) == 0
    out = _strict(capsys.readouterr().out)
    assert out["value"] == 5000.0 and out["grads"] == {"x": 10_000.0}


# -- output paths: one line and exit 2, checked before any rendering --------------------------------------

def _no_permission(tmp_path):
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked / "out.png"
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("needs a place root cannot write (sysfs)")
    return "/sys/chainrule-test.png"  # root may write anywhere but there


def _folder(tmp_path):
    (tmp_path / "folder.png").mkdir()
    return tmp_path / "folder.png"


def _file_as_folder(tmp_path):
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "out.png"


@pytest.mark.parametrize("where, message", [
    (_folder, "it is a folder"),
    (lambda tmp: tmp / "no" / "such" / "out.png", "does not exist"),
    (_file_as_folder, "is not a folder"),
    (_no_permission, "Permission denied"),
], ids=["folder", "missing folder", "file as folder", "no permission"])
@pytest.mark.parametrize("command", [["--example", "add-mul", "--screenshot"], ["export", "chain-rule", "--out"]],
                         ids=["screenshot", "export"])
def test_unwritable_output_is_one_line_and_exit_2(capsys, tmp_path, where, message, command):
    assert main([*command, str(where(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
