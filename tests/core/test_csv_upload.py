"""CSV upload: every rejection names what is wrong; good tables become the right Dataset."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from explain_core.data import breast_cancer
from explain_core.data.csv_upload import CsvLimits, parse_csv, to_dataset
from explain_core.errors import DataError


def rows(header: str, *lines: str) -> bytes:
    return ("\n".join((header,) + lines) + "\n").encode()


def reject(content: bytes, *fragments: str, target: str | None = None, **kw) -> str:
    """Assert parse (and, with a target, to_dataset) fails with a DataError containing every fragment."""
    with pytest.raises(DataError) as e:
        table = parse_csv(content, **kw)
        if target is not None:
            to_dataset(table, target)
    msg = str(e.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    return msg


# ------------------------------------------------------------------------- file-level
def test_empty_file():
    reject(b"", "data.csv is empty", filename="data.csv")
    reject(b"  \n\n ", "is empty")


def test_header_only():
    reject(b"age,height,label\n", "has a header line but no data rows")
    reject(b"age,height,label\n\n\n", "no data rows")
    reject(b"age,height,label\n,,\n", "no data rows")


def test_first_line_is_data_not_a_header():
    reject(rows("1.5,2,0", "3.1,4,1"), "looks like data, not column names", "1.5, 2, 0")


def test_single_column():
    reject(rows("score", "1", "2"), "only one column ('score')")


def test_binary_files():
    reject(b"a,b\n1,\x00\x02\x03\n", "binary file", "NUL")
    reject(b"PK\x03\x04\x14\x00rest-of-a-zip", "Excel workbook", "not a CSV")
    reject("a,b\n1,2\n".encode("utf-16"), "UTF-16")


def test_not_utf8_names_the_line_and_byte():
    content = "name,city,label\nann,Paris,1\nbob,Zürich,0\n".encode("latin-1")
    reject(content, "not UTF-8 text", "byte 0xfc on line 3", "CSV UTF-8")


def test_utf8_with_byte_order_mark_is_fine():
    table = parse_csv("\ufeffcity,label\nZürich,1\nParis,0\n".encode("utf-8"))
    assert table.frame.columns.tolist() == ["city", "label"]
    assert table.preview[0] == {"city": "Zürich", "label": "1"}


def test_duplicate_column_names_are_named():
    reject(rows("age,weight,age,label,label", "1,2,3,0,0"), "must be unique", "'age' (columns 1, 3)",
           "'label' (columns 4, 5)")


def test_ragged_row_too_many_fields():
    reject(rows("a,b,c", "1,2,3", "4,5,6,7"), "Line 3 of upload.csv has 4 fields, but the header has 3 columns")


def test_ragged_row_too_few_fields():
    # pandas would silently fill the gap with NaN; we name the line
    reject(rows("a,b,c", "1,2,3", "", "4,5"), "Line 4 of upload.csv has 2 fields")


def test_unbalanced_quote():
    reject(b'a,b\n1,"2\n3,4\n', "cannot be read as CSV", "double quotes")


def test_too_many_bytes():
    content = rows("a,b", *["1,2"] * 100)
    reject(content, f"is {len(content):,} bytes; the limit is 100 bytes", limits=CsvLimits(max_bytes=100))
    assert "20 MB" in reject(b"x" * (20 * 2**20 + 1), "the limit is")


def test_too_many_rows():
    reject(rows("a,b", *["1,2"] * 6), "more than 5 data rows", limits=CsvLimits(max_rows=5))
    assert parse_csv(rows("a,b", *["1,2"] * 5), limits=CsvLimits(max_rows=5)).n_rows == 5


def test_too_many_columns():
    reject(rows("a,b,c,d", "1,2,3,4"), "has 4 columns; the limit is 3", limits=CsvLimits(max_cols=3))


# ------------------------------------------------------------------------ target-level
GOOD = rows("age,color,label", "30,red,yes", "40,blue,no", "50,red,yes", "60,blue,no")


def test_unknown_target_lists_columns():
    reject(GOOD, "There is no column 'Label'", "'age', 'color', 'label'", target="Label")


def test_target_with_one_class():
    reject(rows("x,label", "1,yes", "2,yes", "3,"), "'label' has only one value ('yes')", "two classes",
           target="label")


def test_target_with_too_many_classes_says_how_many():
    content = rows("x,price", *[f"{i},{i * 1.5}" for i in range(30)])
    table = parse_csv(content)
    assert table.target_tasks["price"] == ("regression",)      # a number with many values: a regression target
    with pytest.raises(DataError) as e:
        to_dataset(table, "price", task="classification")
    assert "'price' has 30 distinct values" in str(e.value) and "at most 20 classes" in str(e.value)
    assert "Choose regression" in str(e.value)


def test_target_all_missing():
    reject(rows("x,label", "1,", "2,NA"), "target column 'label' has no values", target="label")


def test_no_usable_feature_columns():
    comments = [f"{i},comment number {i},{i % 2}" for i in range(25)]
    msg = reject(rows("id,comment,label", *comments), "No usable feature columns besides the target 'label'",
                 "'comment' (every value is different", target="label")
    assert "'id' (it counts the rows" in msg


def test_only_the_target():
    reject(rows("label,empty", "1,", "0,"), "No usable feature columns", "'empty' (every value is missing)",
           target="label")


def test_numeric_column_with_junk_is_rejected_naming_value_and_line():
    values = [str(v) for v in range(100, 130)]
    values[6] = "abc"
    values[20] = "n.a."
    content = rows("weight,label", *[f"{v},{i % 2}" for i, v in enumerate(values)])
    table = parse_csv(content)
    info = table.column("weight")
    assert info.kind == "rejected"
    assert "'abc' on line 8" in info.reason and "1 other non-number" in info.reason
    reject(content, "'weight' (numbers except for 'abc' on line 8", target="label")


def test_numbers_mixed_with_a_few_words_become_categories():
    content = rows("size,x,label", "12,1,a", "7,2,b", "abc,3,a", "12,4,b")
    table = parse_csv(content)
    assert table.column_types["size"] == "categorical"
    assert "'abc' on line 4" in table.column("size").reason
    d = to_dataset(table, "label")
    assert d.feature_names == ("size=12", "size=7", "size=abc", "x")
    assert any("Treated 'size' as categories" in n for n in d.notes)


def test_high_cardinality_text_is_dropped_with_a_note():
    names = [f"{(i * 7) % 13},person {i},{'ab'[i % 2]}" for i in range(30)]
    content = rows("x,name,label", *names)
    table = parse_csv(content)
    assert table.rejected == {"name": "every value is different (an identifier?)"}
    d = to_dataset(table, "label")
    assert d.feature_names == ("x",)
    assert "Ignored column 'name' (every value is different (an identifier?))." in d.notes


def test_too_many_one_hot_features():
    content = rows("a,b,label", *[f"a{i % 20},b{i % 19},{i % 2}" for i in range(60)])
    reject(content, "gives 39 feature columns; the limit is 10", target="label",
           limits=CsvLimits(max_features=10))


# --------------------------------------------------------------------------- good CSVs
def test_numeric_only():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).round(3)
    y = (X[:, 0] > 0).astype(int)
    lines = [f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, y)]
    table = parse_csv(rows("a,b,c,target", *lines))
    assert (table.n_rows, table.n_cols) == (40, 4)
    assert table.column_types == {"a": "numeric", "b": "numeric", "c": "numeric", "target": "numeric"}
    assert table.candidate_targets == ("a", "b", "c", "target") and table.suggested_target == "target"
    assert table.target_tasks == {"a": ("regression",), "b": ("regression",), "c": ("regression",),
                                  "target": ("classification",)}
    assert table.missing == {"a": 0, "b": 0, "c": 0, "target": 0}
    assert len(table.preview) == 10 and table.preview[0]["a"] == str(X[0, 0])
    d = to_dataset(table, "target", seed=0, name="nums")
    assert d.kind == "tabular" and d.name == "nums" and d.X.dtype == np.float32 and d.y.dtype == np.int64
    np.testing.assert_array_equal(d.X, X.astype(np.float32))
    np.testing.assert_array_equal(d.y, y)
    assert d.class_names == ("0", "1") and d.feature_names == ("a", "b", "c")
    assert len(d.test_idx) == 10 and len(d.train_idx) == 30
    assert set(d.train_idx) | set(d.test_idx) == set(range(40)) and not set(d.train_idx) & set(d.test_idx)
    assert abs(d.y[d.test_idx].mean() - y.mean()) <= 0.1  # stratified
    assert d.notes == ()


def test_split_depends_on_seed_only():
    content = rows("x,label", *[f"{i * 0.5},{i % 3}" for i in range(30)])
    a, b = to_dataset(parse_csv(content), "label", seed=0), to_dataset(parse_csv(content), "label", seed=0)
    c = to_dataset(parse_csv(content), "label", seed=1)
    np.testing.assert_array_equal(a.test_idx, b.test_idx)
    assert not np.array_equal(a.test_idx, c.test_idx)


def test_numeric_target_classes_sort_as_numbers():
    content = rows("x,grade", *[f"{i},{g}" for i, g in enumerate([10, 2, 2, 10, 1.5, 1.5, 2, 10])])
    d = to_dataset(parse_csv(content), "grade")
    assert d.class_names == ("1.5", "2", "10")
    np.testing.assert_array_equal(d.y, [2, 1, 1, 2, 0, 0, 1, 2])


def test_mixed_numeric_and_categorical_one_hot():
    content = rows("age, color ,size,label", "30,red,S,yes", "40, blue,M,no", "50,red,L,yes", "60,green,S,no",
                   "35,red,M,yes", "45,blue,L,no", "55,green,S,yes", "65,red,M,no")
    table = parse_csv(content)
    assert table.column_types == {"age": "numeric", "color": "categorical", "size": "categorical",
                                  "label": "categorical"}
    d = to_dataset(table, "label")
    assert d.feature_names == ("age", "color=blue", "color=green", "color=red", "size=L", "size=M", "size=S")
    assert d.class_names == ("no", "yes")
    np.testing.assert_array_equal(d.X[1], [40, 1, 0, 0, 0, 1, 0])   # ' blue' is stripped
    np.testing.assert_array_equal(d.X[:, 1:4].sum(axis=1), 1)
    np.testing.assert_array_equal(d.y, [1, 0, 1, 0, 1, 0, 1, 0])


def test_missing_values_imputed_from_training_rows_and_reported():
    lines = []
    for i in range(20):
        age = "" if i in (3, 11) else ("NA" if i == 17 else str(20 + i))
        color = "?" if i == 5 else ("red" if i % 3 else "blue")
        label = "" if i == 8 else str(i % 2)
        lines.append(f"{age},{color},{label}")
    table = parse_csv(rows("age,color,label", *lines))
    assert table.missing == {"age": 3, "color": 1, "label": 1}
    d = to_dataset(table, "label")
    assert len(d.y) == 19
    assert "Dropped 1 row whose target 'label' is missing (line 10)." in d.notes
    kept_ages = np.array([np.nan if i in (3, 11, 17) else 20 + i for i in range(20) if i != 8])
    median = np.median(kept_ages[d.train_idx][~np.isnan(kept_ages[d.train_idx])])
    age = d.X[:, d.feature_names.index("age")]
    np.testing.assert_array_equal(age[np.isnan(kept_ages)], np.float32(median))
    note = next(n for n in d.notes if n.startswith("Filled 3 missing values in 'age'"))
    assert f"with the median {median:g}" in note
    assert any(n.startswith("Filled 1 missing value in 'color' with the most frequent value 'red'")
               for n in d.notes)
    assert np.isfinite(d.X).all()


def test_missing_tokens_blank_lines_and_semicolons():
    content = b"a;b;label\n1;NULL;x\n\n2;n/a;y\n3;4;x\n;;\n5;6;y\n"
    table = parse_csv(content)
    assert table.n_rows == 4 and table.missing["b"] == 2
    assert any("separated by ';'" in n for n in table.notes)
    assert any("Skipped 2 empty rows (lines 3, 6)" in n for n in table.notes)
    assert table.line_numbers.tolist() == [2, 4, 5, 7]


def test_quoted_fields_and_crlf():
    content = b'name,"note, with comma",label\r\n"Smith, J",a,1\r\n"Doe, A","b\r\nmore",0\r\n'
    table = parse_csv(content)
    assert table.frame.columns.tolist() == ["name", "note, with comma", "label"]
    assert table.frame["name"].tolist() == ["Smith, J", "Doe, A"]


def test_constant_and_row_number_columns_are_ignored():
    content = rows(",const,x,label", *[f"{i},7,{(i * 37) % 11},{i % 2}" for i in range(30)])
    table = parse_csv(content)
    assert table.column_types["column 1"] == "rejected"
    d = to_dataset(table, "label")
    assert d.feature_names == ("x",)
    assert "Ignored column 'const' (it has the same value in every row)." in d.notes


def test_a_class_with_a_single_row_still_works():
    content = rows("x,label", *[f"{i},{'a' if i < 10 else 'b'}" for i in range(20)], "99,c")
    d = to_dataset(parse_csv(content), "label")
    assert d.class_names == ("a", "b", "c")
    assert len(d.train_idx) + len(d.test_idx) == 21 and len(d.test_idx) == 6
    assert any("random, not stratified" in n and "'c' has a single row" in n for n in d.notes)


def test_breast_cancer_round_trips_through_csv():
    bunch = load_breast_cancer()
    df = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    df["diagnosis"] = np.asarray(bunch.target_names)[bunch.target]
    table = parse_csv(df.to_csv(index=False).encode(), filename="breast.csv")
    assert table.suggested_target == "diagnosis" and table.target_tasks["diagnosis"] == ("classification",)
    assert table.candidate_targets[-1] == "diagnosis" and table.target_tasks["mean radius"] == ("regression",)
    d = to_dataset(table, "diagnosis")
    ref = breast_cancer()
    assert d.feature_names == ref.feature_names
    np.testing.assert_array_equal(d.X, ref.X)
    assert d.class_names == ("benign", "malignant")
    assert [d.class_names[i] for i in d.y] == [ref.class_names[i] for i in ref.y]
    assert len(d.test_idx) == len(ref.test_idx) and d.notes == ()


def test_csv_module_reading_is_used_where_pandas_fails(monkeypatch):
    content = rows("age,color,label", "30, red ,yes", "NA,blue,no", "50,red,yes", "60,,no")
    normal = parse_csv(content)

    def broken(*args, **kwargs):
        raise pd.errors.ParserError("C error: EOF inside string")
    monkeypatch.setattr(pd, "read_csv", broken)
    fallback = parse_csv(content)
    assert fallback.columns == normal.columns
    pd.testing.assert_frame_equal(fallback.frame, normal.frame)
