#!/usr/bin/python3
# Validates every JSON report under a directory against docs/report.schema.json (the ctest report_schema).
"""Usage: validate_reports.py SCHEMA DIR

Exit 0 when every *.json under DIR (recursively) is a valid report, 1 when any is not or when DIR
holds no report at all (a check that saw nothing proves nothing), 2 on a bad schema or usage.
Before looking at DIR it proves the schema still rejects known-bad reports, so a schema edited
into accepting everything fails here instead of passing silently.

Suite aggregates ("schema": "attncheck.suite/1") are checked against suite.schema.json beside
SCHEMA, every case report inside against SCHEMA, and their summary counts against their cases.
The analyses of `elf inspect` ("attncheck.elf/1") and the runs of `sim` ("attncheck.sim/1") are
checked against elf.schema.json, sim.schema.json and diff.schema.json beside SCHEMA.
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
    variant("pass null (not run) without not_run", lambda r: r.update({"pass": None}))
    variant("not_run beside a pass", lambda r: r.update({"not_run": "no device"}))
    variant("bit_exact with mismatches", lambda r: r["metrics"]["vs_model"].update(mismatches=3))
    variant("misspelt metric key", lambda r: r["metrics"]["vs_golden"].update(max_abs_err=1.0))
    return out


def good_suite():
    failed = good_report()
    failed["gates"] = [{"name": "max_mae", "threshold": 0.1, "value": 0.5, "pass": False}]
    failed["pass"] = False
    return {
        "schema": "attncheck.suite/1",
        "tool": {"name": "attncheck", "version": "0.1.0"},
        "command": "suite",
        "suite": {"path": "s.json", "fixtures": ["fx"], "revisions": ["a", "b"], "backends": ["model"]},
        "gates_file": "g.json",
        "jobs": 2,
        "cases": [
            {"id": "a", "fixture": "fx", "revision": "a", "backend": "model", "status": "ok", "report": good_report()},
            {"id": "b", "fixture": "fx", "revision": "b", "backend": "model", "status": "ok", "report": failed},
            {"id": "c", "fixture": "fx", "revision": "c", "backend": "model", "status": "skipped", "reason": "shape"},
        ],
        "summary": {"cases": 3, "passed": 1, "failed": 1, "errors": 0, "skipped": 1},
        "pass": False,
    }


def broken_suites():
    out = []

    def variant(what, edit):
        r = good_suite()
        edit(r)
        out.append((what, r))

    variant("pass true with a failed case", lambda r: r.update({"pass": True}))
    variant("ok case without a report", lambda r: r["cases"][0].pop("report"))
    variant("skipped case without a reason", lambda r: r["cases"][2].pop("reason"))
    variant("unknown case status", lambda r: r["cases"][0].update(status="done"))
    variant("case report with a broken metric",
            lambda r: r["cases"][0]["report"]["metrics"]["vs_golden"].update(correlation="NaN"))
    variant("summary disagreeing with the cases", lambda r: r["summary"].update(passed=2))
    return out


def good_elf():
    return {
        "schema": "attncheck.elf/1", "tool": {"name": "attncheck", "version": "0.1.0"}, "command": "elf inspect",
        "elf": {"path": "main_core_0_2.elf", "sha256": "a" * 64}, "link_script": None, "bundles": 3,
        "undecoded": [], "bad_branch_targets": [],
        "functions": [{"name": "__start", "address": 0, "size": 32, "frame_bytes": 0, "vector_bundles": 0,
                       "calls": [{"at": 0, "target": 32, "kind": "call", "callee": "core_0_2"}]}],
        "stack": {"base": 458752, "reserved_bytes": 1024, "reserved_source": "link script", "max_bytes": 64,
                  "reaches": 458816, "deepest_chain": ["__start 0"], "entry": "__start", "unbounded": False,
                  "unbounded_reason": ""},
        "buffers": [{"name": "of_in_cons_buff_0", "address": 459776, "size": 512, "size_source": "design"}],
        "overlaps": [], "verdict": "stack fits: 64 B of 1024 B reserved",
    }


def broken_elfs():
    out = []

    def variant(what, edit):
        r = good_elf()
        edit(r)
        out.append((what, r))

    variant("call kind unknown", lambda r: r["functions"][0]["calls"][0].update(kind="jump"))
    variant("missing stack", lambda r: r.pop("stack"))
    variant("empty overlap", lambda r: r["overlaps"].append({"buffer": "b", "first_byte": 0, "last_byte": 0, "bytes": 0}))
    variant("short hash", lambda r: r["elf"].update(sha256="abc"))
    return out


def good_sim():
    binding = {"fifo": "of_input", "file": "in.npy", "sha256": "b" * 64, "transfer_bytes": 512, "transfers": 2}
    return {
        "schema": "attncheck.sim/1", "tool": {"name": "attncheck", "version": "0.1.0"}, "command": "sim",
        "backend": "sim", "program": {"kind": "elf", "path": "main_core_0_2.elf", "sha256": "a" * 64, "symbols_from": None},
        "design": {"path": "d.mlir", "sha256": "c" * 64, "fifos": [
            {"name": "of_input", "direction": "in", "transfer_bytes": 512, "depth": 2, "element_type": "i8"}]},
        "iterations": 2, "stack_at": None, "max_cycles": 1000000000, "inputs": [binding],
        "outputs": [dict(binding, fifo="of_output", file="out.npy")],
        "run": {"bundles": 100, "lock_waits": 2, "max_sp": 458848, "part_word_hazards": 0,
                "ended": "the core executed done", "design": {"path": "d.mlir", "sha256": "c" * 64},
                "locks": [{"name": "l", "id": 0, "init": 2, "final": 2, "dma_acquires": 2, "dma_releases": 0}],
                "stack_over_data": [{"section": ".data (the ELF's own data)", "bytes": [0, 15], "count": 16}],
                "input_transfers": [{"fifo": "of_input", "buffer": "of_input_cons_buff_0", "transfer": 0,
                                     "core_stores": 1, "clobbered_before_read": [[0, 3]],
                                     "writers": [{"function": "f", "bytes": [0, 3], "stores": 1,
                                                  "sp": [458848, 458848], "in_frame": True}]}],
                "output_transfers": {"of_output": 2}},
        "simulated_cycles": 100, "cycles_note": "one cycle per issued bundle", "seconds": 0.01,
    }


def broken_sims():
    out = []

    def variant(what, edit):
        r = good_sim()
        edit(r)
        out.append((what, r))

    variant("backend called a device", lambda r: r.update(backend="npu"))
    variant("unknown program kind", lambda r: r["program"].update(kind="bin"))
    variant("zero iterations", lambda r: r.update(iterations=0))
    variant("a stack run over data without its bytes", lambda r: r["run"]["stack_over_data"][0].pop("bytes"))
    variant("a writer with no stores", lambda r: r["run"]["input_transfers"][0]["writers"][0].update(stores=0))
    variant("negative cycles", lambda r: r.update(simulated_cycles=-1))
    return out


def good_sim_array():
    return {
        "schema": "attncheck.sim-array/1", "tool": {"name": "attncheck", "version": "0.1.0"}, "command": "sim",
        "backend": "sim", "simulator": "array", "program": {"kind": "pdi", "path": "main.pdi", "sha256": "a" * 64},
        "insts": {"path": "npu_insts.mlir", "sha256": "b" * 64, "format": "npu_insts.mlir", "operations": 8},
        "calls": 1, "args": [{"arg": 3, "bytes": 16, "direction": "in", "file": "in.bin", "sha256": "c" * 64}],
        "array": {"cycles": 100, "cores": [{"tile": [0, 2], "program": "p", "bundles": 90, "state": "running"}],
                  "channels": [{"channel": "shim (0,0) MM2S 0", "words": 4}], "routes": []},
        "seconds": 0.01,
    }


def broken_sim_arrays():
    out = []

    def variant(what, edit):
        r = good_sim_array()
        edit(r)
        out.append((what, r))

    variant("backend called a device", lambda r: r.update(backend="npu"))
    variant("zero calls", lambda r: r.update(calls=0))
    variant("unknown argument direction", lambda r: r["args"][0].update(direction="both"))
    variant("no cores list", lambda r: r["array"].pop("cores"))
    return out


def suite_problems(suite_validator, report_validator, suite):
    """Every problem of an aggregate: its own schema, each case report, and the summary counts."""
    problems = [f"{error_path(e)}: {e.message}" for e in suite_validator.iter_errors(suite)]
    if problems:
        return problems
    counts = {"ok_pass": 0, "ok_fail": 0, "ok_not_run": 0, "error": 0, "skipped": 0}
    for i, case in enumerate(suite["cases"]):
        if case["status"] == "ok":
            for e in report_validator.iter_errors(case["report"]):
                problems.append(f"/cases/{i}/report{error_path(e)}: {e.message}")
            p = case["report"].get("pass")
            counts["ok_pass" if p is True else "ok_not_run" if p is None else "ok_fail"] += 1
        else:
            counts[case["status"]] += 1
    want = {"cases": len(suite["cases"]), "passed": counts["ok_pass"], "failed": counts["ok_fail"],
            "errors": counts["error"], "skipped": counts["skipped"]}
    if "not_run" in suite["summary"] or counts["ok_not_run"]:
        want["not_run"] = counts["ok_not_run"]
    if suite["summary"] != want:
        problems.append(f"/summary: {suite['summary']} disagrees with the cases {want}")
    return problems


def good_diff():
    metric = {"name": "mae", "a": 14.4, "b": 14.4, "delta": 0.0, "mark": ""}
    return {
        "schema": "attncheck.diff/1", "tool": {"name": "attncheck", "version": "0.1.0"},
        "a": {"source": "a.json", "run": "r on f (model)"}, "b": {"source": "b.json", "run": "r on f (model)"},
        "metrics": [metric], "bit_exact": {"a": True, "b": True}, "changes": None, "unchanged": True,
        "regressions": [], "verdict": "NO CHANGE",
    }


def broken_diffs():
    out = []

    def variant(what, edit):
        r = good_diff()
        edit(r)
        out.append((what, r))

    variant("unknown verdict", lambda r: r.update(verdict="PASS"))
    variant("unknown mark", lambda r: r["metrics"][0].update(mark="bad"))
    variant("no metrics", lambda r: r.update(metrics=[]))
    variant("neither runs nor suites", lambda r: [r.pop(k) for k in ("metrics", "unchanged")])
    variant("negative changed count", lambda r: r.update(changes={"changed": -1, "count": 1, "changed_rows": 0, "rows": 1}))
    return out


def self_check(validator, suite_validator=None, others=None):
    problems = []
    for schema_id, (other, good, broken) in (others or {}).items():
        if not other.is_valid(good()):
            problems.append(f"the reference good {schema_id} is rejected: " +
                            "; ".join(f"{error_path(e)}: {e.message}" for e in other.iter_errors(good())))
        for what, doc in broken():
            if other.is_valid(copy.deepcopy(doc)):
                problems.append(f"a broken {schema_id} is accepted ({what})")
    if suite_validator is not None:
        if suite_problems(suite_validator, validator, good_suite()):
            problems.append("the reference good suite is rejected: " +
                            "; ".join(suite_problems(suite_validator, validator, good_suite())))
        for what, suite in broken_suites():
            if not suite_problems(suite_validator, validator, copy.deepcopy(suite)):
                problems.append(f"a broken suite is accepted ({what})")
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
    # A schema copied alone (as tests of the validator do) has no suite schema beside it; then
    # only a suite aggregate, if one turns up, is an error.
    suite_path = schema_path.parent / "suite.schema.json"
    suite_validator = None
    if suite_path.exists():
        try:
            suite_schema = load_json(suite_path)
            Draft202012Validator.check_schema(suite_schema)
        except Exception as e:
            print(f"{suite_path}: bad schema: {e}".splitlines()[0])
            return 2
        suite_validator = Draft202012Validator(suite_schema)

    # The other documents attncheck writes, each with its schema beside SCHEMA.
    others = {}
    for schema_id, file_name, good, broken in (("attncheck.elf/1", "elf.schema.json", good_elf, broken_elfs),
                                                ("attncheck.sim/1", "sim.schema.json", good_sim, broken_sims),
                                                ("attncheck.diff/1", "diff.schema.json", good_diff, broken_diffs),
                                                ("attncheck.sim-array/1", "sim-array.schema.json", good_sim_array, broken_sim_arrays)):
        path = schema_path.parent / file_name
        if not path.exists():
            continue
        try:
            other_schema = load_json(path)
            Draft202012Validator.check_schema(other_schema)
        except Exception as e:
            print(f"{path}: bad schema: {e}".splitlines()[0])
            return 2
        others[schema_id] = (Draft202012Validator(other_schema), good, broken)

    problems = self_check(validator, suite_validator, others)
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
        if isinstance(report, dict) and report.get("schema") == "attncheck.suite/1":
            errors = (suite_problems(suite_validator, validator, report) if suite_validator is not None
                      else [f"/schema: a suite aggregate, but there is no {suite_path}"])
        elif isinstance(report, dict) and report.get("schema") in ("attncheck.elf/1", "attncheck.sim/1", "attncheck.diff/1",
                                                                  "attncheck.sim-array/1"):
            other = others.get(report["schema"])
            errors = ([f"/schema: {report['schema']}, but its schema is not beside {schema_path}"] if other is None else
                      [f"{error_path(e)}: {e.message}" for e in
                       sorted(other[0].iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))])
        else:
            errors = [f"{error_path(e)}: {e.message}" for e in
                      sorted(validator.iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))]
        if errors:
            failed += 1
            for e in errors:
                print(f"{path}: {e}")
        else:
            passed += 1
    if not reports:
        print(f"{report_dir}: no reports to validate")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
