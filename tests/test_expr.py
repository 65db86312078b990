"""Expressions are parsed against a whitelist, never evaluated, and errors point at the spot."""
import numpy as np
import pytest

from engine.expr import ExpressionError, parse


def test_script_of_assignments_names_intermediate_nodes():
    p = parse("q = x + y\nf = q * z")
    assert p.inputs == ["x", "y", "z"]
    out = p.build({"x": -2, "y": 5, "z": -4})
    assert out.data == -12.0 and out.name == "f"
    assert [n.name for n in out.graph().nodes] == ["x", "y", "q", "z", "f"]


def test_semicolons_functions_and_constants():
    out = parse("s = sigmoid(w * x + b); loss = -log(s)").build({"w": 2.0, "x": 1.0, "b": -1.0})
    assert out.data == pytest.approx(0.3132616875)


@pytest.mark.parametrize("source, message, col, width", [
    ("(x + y) * ", "syntax error", 10, 1),
    ("x.__class__", "Attribute is not allowed", 0, 11),
    ("__import__('os').system('ls')", "unknown function", 0, 23),
    ("__import__('os')", "unknown function '__import__'", 0, 10),
    ("x + 'a'", "only numbers", 4, 3),
    ("x // 2", "operator // is not supported", 0, 6),
    ("exp(x, y)", "exp takes 1 argument", 0, 9),
    ("[x for x in y]", "ListComp is not allowed", 0, 14),
    ("lambda: 1", "Lambda is not allowed", 0, 9),
    ("f = q * 2\nq = 1", "q is read before it is assigned", 0, 1),
    ("x + y\nz", "only the last line", 0, 5),
    ("import os", "Import is not allowed", 0, 9),
    ("", "empty", 0, 1),
])
def test_bad_input_is_refused_with_a_pointer(source, message, col, width):
    with pytest.raises(ExpressionError, match=message) as info:
        parse(source)
    err = info.value
    assert (err.col, err.end_col - err.col) == (col, width)
    assert "^" * width in err.pointer()


def test_missing_values_are_named():
    with pytest.raises(ExpressionError, match="no value given for y"):
        parse("x * y").build({"x": 1.0})


def test_arrays_become_tensors():
    import numpy as np
    out = parse("f = sum(W @ x)").build({"W": np.eye(2), "x": np.array([1.0, 2.0])})
    assert out.data == pytest.approx(3.0)


def test_sum_and_mean_of_a_scalar_are_the_scalar():
    out = parse("f = sum(x * y) + mean(x)").build({"x": 2.0, "y": 3.0})
    out.backward()
    assert out.data == 8.0 and out.graph().find("x").grad == 4.0


@pytest.mark.parametrize("source, message, line, col, width", [
    ("#x @ y", r"empty \(only comments\)", 1, 0, 1),
    ("\n  # only this\n", r"empty \(only comments\)", 2, 2, 1),
    ("x\x00", "a null character", 1, 1, 1),
    ("x + \ud800", "unpaired surrogate", 1, 4, 1),
    ("é + 'a'", "only numbers", 1, 4, 3),  # columns are characters, not UTF-8 bytes
    ("好 + 'a'", "only numbers", 1, 4, 3),
    ("x\ty +", "syntax error", 1, 2, 1),
    ("q = x\r\nf = q +", "syntax error", 2, 7, 1),  # CRLF
    ("q = x\rf = q.y", "Attribute is not allowed", 2, 4, 3),  # a lone CR ends a line, as in Python
    ("\x0cx + 'a'", "only numbers", 1, 5, 3),  # form feed
    ("x + 1j", "complex numbers are not supported", 1, 4, 2),
    ("x * True", "not True", 1, 4, 4),
    ("None", "not None", 1, 0, 4),
    ("x.y", "Attribute is not allowed", 1, 0, 3),
    ("x[0]", "Subscript is not allowed", 1, 0, 4),
    ("a < b < c", "Compare is not allowed", 1, 0, 9),
    ("f'{x}'", "JoinedStr is not allowed", 1, 0, 6),
    ("(q := x)", "NamedExpr is not allowed", 1, 1, 6),
    ("exp(*x)", "Starred is not allowed", 1, 4, 2),
    ("exp(x=1)", "keyword arguments", 1, 6, 1),
    ("x;;y", "syntax error", 1, 2, 1),
    (";", "syntax error", 1, 0, 1),
    ("a = b = x", "one name at a time", 1, 4, 1),
    ("a, b = x, y", "one name at a time", 1, 0, 4),
    ("(lambda: 1)()", r"unknown function 'lambda: 1'", 1, 1, 9),
    ("é = 1\ny = é + (", "never closed", 2, 8, 1),
])
def test_edge_cases_are_refused_with_the_caret_on_the_offending_token(source, message, line, col, width):
    with pytest.raises(ExpressionError, match=message) as info:
        parse(source)
    err = info.value
    assert (err.line, err.col, err.end_col - err.col) == (line, col, width)


def test_caret_lines_up_under_tabs_and_wide_characters():
    err = pytest.raises(ExpressionError, parse, "好\t+ 'a'").value
    text, carets = err.pointer().split("\n")
    assert text == "  好\t+ 'a'" and carets == "    \t  ^^^"  # 好 is two columns wide on a terminal


def test_control_characters_do_not_break_the_pointer_into_lines():
    err = pytest.raises(ExpressionError, parse, "x +\x0b1").value
    assert len(err.pointer().split("\n")) == 2 and "\x0b" not in err.pointer()


def test_an_error_past_the_end_of_the_line_points_just_after_it():
    err = pytest.raises(ExpressionError, parse, "x +").value
    assert (err.line, err.col, err.end_col) == (1, 3, 4) and err.pointer().endswith("     ^")


def test_missing_value_points_at_the_first_use():
    err = pytest.raises(ExpressionError, parse("x + exp(y)").build, {"x": 1.0}).value
    assert "no value given for y" in err.message and (err.col, err.end_col) == (8, 9)


@pytest.mark.parametrize("source, expected", [
    ("1/0 + x", np.inf), ("0/0 + x", np.nan), ("(-1)**0.5 + x", np.nan), ("10.0**400 + x", np.inf),
    ("1e999 + x", np.inf), ("1" + "0" * 400 + " + x", np.inf), ("0**-1 + x", np.inf), ("log(0) + x", -np.inf),
])
def test_arithmetic_on_constants_follows_ieee(source, expected):
    out = parse(source).build({"x": 0.0})
    assert out.data == expected or (np.isnan(expected) and np.isnan(out.data))


def test_a_sum_of_ten_thousand_terms_builds_and_differentiates():
    out = parse("f = " + " + ".join(f"{k % 3} * x" for k in range(10_000))).build({"x": 2.0})
    out.backward()
    assert out.data == 2.0 * 9999 and out.graph().find("x").grad == 9999.0


def test_long_chains_of_every_top_level_operator_build_with_the_right_tree():
    assert parse("q = 1\n" + " - ".join(["q"] * 6000)).build({}).data == 1 - 5999
    assert parse("*".join(["x"] * 6000)).build({"x": 1.0001}).data == pytest.approx(1.0001 ** 6000)
    out = parse("f = " + " + ".join(["x * y / 2"] * 5000) + " - y").build({"x": 2.0, "y": 3.0})
    assert out.data == pytest.approx(5000 * 3.0 - 3.0)


def test_errors_in_a_long_chain_point_at_the_offending_term():
    source = "+".join(["x"] * 5000) + " + x.y"
    err = pytest.raises(ExpressionError, parse, source).value
    assert "Attribute" in err.message and (err.col, err.end_col) == (len(source) - 3, len(source))


@pytest.mark.parametrize("source, message", [
    ("(" * 1000 + "x" + ")" * 1000, "too many nested parentheses (Python's parser allows 200)"),
    ("[" * 300 + "x" + "]" * 300, "too many nested parentheses"),
    ("exp(" * 1000 + "x" + ")" * 1000, "too many nested parentheses"),
    ("-" * 10_000 + "x", "nested too deeply"),
    ("**".join(["x"] * 10_000), "nested too deeply"),
    ("(" + "+".join(["x"] * 10_000) + ")", "nested too deeply"),
])
def test_nesting_beyond_the_parsers_limits_is_refused_with_a_clear_message(source, message):
    err = pytest.raises(ExpressionError, parse, source).value
    assert message in err.message and 0 <= err.col < len(source)
    if "parentheses" in message:
        opening = [i for i, c in enumerate(source) if c in "(["]
        assert err.col == opening[200]  # the caret under the 201st bracket
