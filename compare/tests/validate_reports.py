#!/usr/bin/python3
# Validates every JSON report under a directory against docs/report.schema.json (the ctest report_schema).
"""Usage: validate_reports.py SCHEMA DIR

Exit 0 when every *.json under DIR (recursively) is a valid report, 1 when any is not or when DIR
holds no report at all (a check that saw nothing proves nothing), 2 on a bad schema or usage.
Before looking at DIR it proves the schema still rejects known-bad reports, so a schema edited
into accepting everything fails here instead of passing silently.
"""
import copy
import json
import pathlib
import sys

from jsonschema import Draft202012Validator


def _reject_constant(name):
    # Python's json accepts NaN/Infinity, JSON does not; a report carrying them is broken.
    raise ValueError(f"non-JSON constant {name}")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=_reject_constant)


def error_path(err):
    return "/" + "/".join(str(p) for p in err.absolute_path)


def good_report():
    vs_golden = {
        "correlation": 0.99, "mae": 0.5, "rmse": 0.7, "max_abs_error": 2.0, "max_abs_error_at": [0, 1, 2],
        "within": {"0": 0.5, "1": 0.9, "2": 1.0, "5": 1.0, "10": 1.0},
        "sqnr_db": 30.0, "cosine": 0.99, "output_range": [-5.0, 7.0], "count": 24,
    }
    return {
        "schema": "attncheck.report/1",
        "tool": {"name": "attncheck", "version": "0.1.0"},
        "command": "run",
        "fixture": {"path": "fx", "shape": [2, 3, 4], "seed": 7, "recipe": "numpy-randint",
                    "scales": None, "sha256": {"q.npy": "0" * 64}},
        "kernel": {"revision": None, "params": {"shift": 7}},
        "backend": {"name": "model", "description": "integer model"},
        "metrics": {"vs_golden": vs_golden,
                    "vs_model": {"bit_exact": True, "mismatches": 0, "mismatch_rows": [], "first_mismatches": []}},
        "gates": [],
        "pass": True,
        "seed": 7,
    }


def broken_reports():
    """(what, report) pairs the schema must reject."""
    out = []

    def variant(what, edit):
        r = good_report()
        edit(r)
        out.append((what, r))

    variant("correlation NaN as a string", lambda r: r["metrics"]["vs_golden"].update(correlation="NaN"))
    variant("missing pass", lambda r: r.pop("pass"))
    variant("null correlation without a reason", lambda r: r["metrics"]["vs_golden"].update(correlation=None))
    variant("reason on a numeric correlation",
            lambda r: r["metrics"]["vs_golden"].update(correlation_reason="constant"))
    variant("within missing a bucket", lambda r: r["metrics"]["vs_golden"]["within"].pop("10"))
    variant("within share above 1", lambda r: r["metrics"]["vs_golden"]["within"].update({"5": 1.5}))
    variant("wrong schema id", lambda r: r.update(schema="attncheck.report/0"))
    variant("unknown backend", lambda r: r["backend"].update(name="gpu"))
    variant("pass true with a failed gate",
            lambda r: r["gates"].append({"name": "corr", "threshold": 0.99, "value": 0.5, "pass": False}))
    variant("pass false without a failed gate", lambda r: r.update({"pass": False}))
    variant("bit_exact with mismatches", lambda r: r["metrics"]["vs_model"].update(mismatches=3))
    variant("misspelt metric key", lambda r: r["metrics"]["vs_golden"].update(max_abs_err=1.0))
    return out


def self_check(validator):
    problems = []
    good = good_report()
    if not validator.is_valid(good):
        problems.append("the reference good report is rejected: " +
                        "; ".join(f"{error_path(e)}: {e.message}" for e in validator.iter_errors(good)))
    for what, report in broken_reports():
        if validator.is_valid(copy.deepcopy(report)):
            problems.append(f"a broken report is accepted ({what})")
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema_path, report_dir = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    try:
        schema = load_json(schema_path)
        Draft202012Validator.check_schema(schema)
    except Exception as e:  # any way the schema is unusable is the same failure
        print(f"{schema_path}: bad schema: {e}".splitlines()[0])
        return 2
    validator = Draft202012Validator(schema)

    problems = self_check(validator)
    for p in problems:
        print(f"{schema_path}: self-check: {p}")
    if problems:
        return 1

    reports = sorted(report_dir.rglob("*.json")) if report_dir.is_dir() else []
    passed = failed = 0
    for path in reports:
        try:
            report = load_json(path)
        except (OSError, ValueError) as e:
            print(f"{path}: unreadable: {e}".splitlines()[0])
            failed += 1
            continue
        errors = sorted(validator.iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            failed += 1
            for e in errors:
                print(f"{path}: {error_path(e)}: {e.message}")
        else:
            passed += 1
    if not reports:
        print(f"{report_dir}: no reports to validate")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
