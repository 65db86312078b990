"""engine.datasets: seeded generators, closed-form least squares, splits, label noise, CSV, digits."""
import numpy as np
import pytest

from engine import datasets as D
from engine.datasets import DATASETS


@pytest.mark.parametrize("name", DATASETS)
def test_toy_data_seeded(name):
    a, b = DATASETS[name](n=60, seed=1), DATASETS[name](n=60, seed=1)
    assert a.X.shape == (60, 2) and a.y.shape == (60,)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, DATASETS[name](n=60, seed=2).X)
    if a.classification:
        assert set(np.unique(a.y)) == {0.0, 1.0}


def test_xor_has_four_equal_clusters_in_the_four_quadrants():
    data = D.xor(n=200, noise=0.1, seed=3)
    quadrant = (data.X[:, 0] > 0) * 2 + (data.X[:, 1] > 0)
    assert np.bincount(quadrant).tolist() == [50, 50, 50, 50]
    np.testing.assert_array_equal(data.y, (data.X[:, 0] > 0) != (data.X[:, 1] > 0))


@pytest.mark.parametrize("classes", [2, 3, 4, 5])
def test_blobs_have_the_asked_number_of_equal_classes(classes):
    data = D.blobs(n=100, classes=classes, seed=0)
    counts = np.bincount(data.y.astype(int))
    assert len(counts) == classes == data.n_classes and counts.max() - counts.min() <= 1
    centers = np.array([data.X[data.y == k].mean(axis=0) for k in range(classes)])
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, atol=0.15)


@pytest.mark.parametrize("classes", [1, 6])
def test_blobs_refuse_other_class_counts(classes):
    with pytest.raises(ValueError, match="2 to 5 classes"):
        D.blobs(classes=classes)


@pytest.mark.parametrize("features", [1, 2])
def test_least_squares_is_the_closed_form_and_finds_the_true_line(features):
    data = D.linear_regression(n=400, noise=0.05, seed=0, features=features)
    assert data.X.shape == (400, features) and not data.classification
    w, b = D.least_squares(data.X, data.y)
    A = np.c_[data.X, np.ones(400)]
    np.testing.assert_allclose(np.r_[w, b], np.linalg.inv(A.T @ A) @ A.T @ data.y, rtol=1e-10)
    np.testing.assert_allclose(w, D.LINEAR_WEIGHTS[:features], atol=0.02)
    assert abs(b - D.LINEAR_BIAS) < 0.02


def test_least_squares_refuses_a_singular_system():
    with pytest.raises(ValueError, match="singular"):
        D.least_squares(np.ones((5, 1)), np.arange(5.0))


def test_train_test_split_is_a_seeded_partition():
    data = D.moons(n=101, seed=0)
    train, test = D.train_test_split(data, 0.3, seed=4)
    assert (len(train), len(test)) == (71, 30)
    rows = {tuple(r) for r in np.concatenate([train.X, test.X])}
    assert rows == {tuple(r) for r in data.X}
    again, _ = D.train_test_split(data, 0.3, seed=4)
    np.testing.assert_array_equal(train.X, again.X)
    other, _ = D.train_test_split(data, 0.3, seed=5)
    assert not np.array_equal(train.X, other.X)
    with pytest.raises(ValueError, match="test_fraction"):
        D.train_test_split(data, 1.0)


def test_label_noise_flips_exactly_that_fraction_to_other_classes():
    data = D.blobs(n=200, classes=4, seed=0)
    noisy = D.with_label_noise(data, 0.25, seed=1)
    assert np.sum(noisy.y != data.y) == 50
    assert set(np.unique(noisy.y)) <= {0.0, 1.0, 2.0, 3.0}
    np.testing.assert_array_equal(noisy.X, data.X)
    np.testing.assert_array_equal(noisy.y, D.with_label_noise(data, 0.25, seed=1).y)
    np.testing.assert_array_equal(D.with_label_noise(data, 0.0).y, data.y)


def test_label_noise_on_regression_adds_gaussian_noise_scaled_by_the_targets():
    data = D.ripple(n=2000, seed=0)
    noisy = D.with_label_noise(data, 0.5, seed=0)
    assert np.std(noisy.y - data.y) == pytest.approx(0.5 * np.std(data.y), rel=0.05)


# -- CSV ---------------------------------------------------------------------------------------
def test_csv_with_header_comments_and_numeric_labels():
    data = D.parse_csv("x1,x2,label\n# a comment\n0.5, -1.2, 1\n\n1e-1,2,0\n3,4,1\n")
    np.testing.assert_array_equal(data.X, [[0.5, -1.2], [0.1, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(data.y, [1, 0, 1])
    assert data.classification and data.class_names == ("0", "1")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_with_semicolons_or_tabs(sep):
    data = D.parse_csv(sep.join(["1", "2", "-1"]) + "\n" + sep.join(["3", "4", "1"]))
    np.testing.assert_array_equal(data.y, [0, 1])   # -1 and +1 become classes 0 and 1
    assert data.class_names == ("-1", "1")


def test_csv_word_labels_become_sorted_classes():
    data = D.parse_csv("1,2,dog\n3,4,cat\n5,6,dog\n7,8,bird\n")
    assert data.class_names == ("bird", "cat", "dog")
    np.testing.assert_array_equal(data.y, [2, 1, 2, 0])


def test_csv_fractional_labels_make_a_regression_set():
    data = D.parse_csv("1,2,0.5\n3,4,1.25\n")
    assert not data.classification and data.n_classes == 0
    np.testing.assert_array_equal(data.y, [0.5, 1.25])


@pytest.mark.parametrize("text, line, reason", [
    ("1,2,0\n3,4\n", 2, r"found 2 values separated by commas, but each row should hold three values"),
    ("1,2,0\n3;4;1\n", 2, r"found 1 value separated by commas"),
    ("x,y,label\n1,2,0\n3,abc,1\n", 3, r"x₂ \(column 2\) is 'abc', which is not a number"),
    ("1,2,0\nnan,1,1\n", 2, r"x₁ \(column 1\) is 'nan'; only finite numbers can be drawn"),
    ("1,2,0\n1,2,\n", 2, r"the label \(column 3\) is empty"),
    ("1,2,0\n1,2,inf\n", 2, r"the label \(column 3\) is 'inf'"),
    ("1,2,0\n1,2,cat\n", 2, r"the label \(column 3\) is the word 'cat', but line 1 has the number '0'"),
])
def test_malformed_csv_names_the_line_and_the_reason(text, line, reason):
    with pytest.raises(D.CsvFormatError, match=rf"points\.csv, line {line}: {reason}") as info:
        D.parse_csv(text, source="points.csv")
    assert info.value.line == line


@pytest.mark.parametrize("text, reason", [
    ("", r"holds no data"),
    ("\n# only comments\n", r"holds no data"),
    ("x1,x2,label\n", r"has a header row but no data below it"),
    ("1,2,a\n3,4,a\n", r"every row has the label 'a'; a classifier needs at least two"),
    ("".join(f"{i},{i},c{i}\n" for i in range(11)), r"has 11 different labels; the lab shows at most 10"),
])
def test_csv_whole_file_problems_are_explained(text, reason):
    with pytest.raises(D.CsvFormatError, match=rf"^points\.csv: {reason}") as info:
        D.parse_csv(text, source="points.csv")
    assert info.value.line is None


def test_load_csv_reads_a_file_and_refuses_binary_or_missing_ones(tmp_path):
    good = tmp_path / "mine.csv"
    good.write_text("a,b,c\n1,2,0\n3,4,1\n", encoding="utf-8")
    data = D.load_csv(good)
    assert data.name == "mine" and data.X.shape == (2, 2)
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(D.CsvFormatError, match=r"image\.csv: is not a text file in UTF-8"):
        D.load_csv(binary)
    with pytest.raises(D.CsvFormatError, match=r"gone\.csv: cannot be opened"):
        D.load_csv(tmp_path / "gone.csv")


# -- digits ------------------------------------------------------------------------------------
def test_load_digits_shapes_values_and_labels():
    X, y = D.load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y[:10].tolist() == list(range(10))
    assert np.bincount(y).min() >= 174 and np.bincount(y).max() <= 183
    np.testing.assert_array_equal(X[0, 0, 0] * 16, [0, 0, 5, 13, 9, 1, 0, 0])  # first row of the UCI file
