"""Issue 25's Python items: run(keep_outputs=True) returns the CLI's kept arrays, diff() is `attncheck diff`, assert_close_to_model, errors in keyword terms."""
import json
import os
import subprocess

import numpy as np
import pytest

import attncheck
from attncheck.testing import assert_close_to_model

CLI = os.environ["ATTNCHECK_CLI"]
SEED42 = os.path.join(os.environ["ATTNCHECK_SOURCE_DIR"], "fixtures", "seed42")


def cli(*args):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert r.returncode in (0, 1), f"attncheck {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}"
    return r


def test_keep_outputs_returns_the_arrays_the_cli_keeps(tmp_path):
    # A replay of an output that is not the model's: device, model and golden all differ.
    model = attncheck.emulate("uc-int32-lut", *(np.load(os.path.join(SEED42, f"{t}.npy")) for t in "qkv"))
    captured = model.copy()
    captured[3, 5] = 0 if captured[3, 5] != 0 else 1
    np.save(tmp_path / "dev.npy", captured)
    cli("run", "--kernel", "uc-int32-lut", "--fixture", SEED42, "--backend", "replay", "--device-output", tmp_path / "dev.npy",
        "--allow-mismatch", "--json", tmp_path / "r.json", "--keep-outputs")
    r = attncheck.run("uc-int32-lut", SEED42, backend="replay", device_output=tmp_path / "dev.npy", allow_mismatch=True,
                      keep_outputs=True)
    a = r["arrays"]
    assert a["device"].dtype == np.int8 and a["model"].dtype == np.int8 and a["golden"].dtype == np.float64
    assert np.array_equal(a["device"], captured) and np.array_equal(a["model"], model)
    for name in ("device", "model", "golden"):  # the CLI keeps (H, S, D); Python the inputs' (S, D)
        assert a[name].shape == (64, 64)
        assert np.array_equal(a[name], np.load(tmp_path / f"r.{name}.npy").reshape(64, 64)), name
    # Without keep_outputs the report is the CLI's JSON alone.
    assert "arrays" not in attncheck.run("uc-int32-lut", SEED42)
    # (H, S, D) inputs give (H, S, D) arrays; the model backend's model is its device output.
    fx = attncheck.fixture("numpy-randint", seed=4, shape=(64, 64), heads=2)
    r = attncheck.run("uc-int32-lut", fx, keep_outputs=True)
    assert r["arrays"]["device"].shape == (2, 64, 64)
    assert np.array_equal(r["arrays"]["model"], attncheck.emulate("uc-int32-lut", fx["q"], fx["k"], fx["v"]))
    assert np.array_equal(r["arrays"]["golden"], attncheck.golden(fx["q"], fx["k"], fx["v"]).astype(np.float64))


def test_diff_equals_attncheck_diff(tmp_path):
    for name, extra in (("a", []), ("b", ["--param", "scale_shift=3"])):
        cli("run", "--kernel", "uc-int32-lut", "--fixture", SEED42, *extra, "--json", tmp_path / f"{name}.json", "--keep-outputs")
    cli("diff", tmp_path / "a.json", tmp_path / "b.json", "--json", tmp_path / "d.json")
    want = json.loads((tmp_path / "d.json").read_text())
    assert attncheck.diff(str(tmp_path / "a.json"), str(tmp_path / "b.json")) == want
    # The same two runs from Python, arrays kept: the same metrics and element changes.
    ra = attncheck.run("uc-int32-lut", SEED42, keep_outputs=True)
    rb = attncheck.run("uc-int32-lut", SEED42, params={"scale_shift": 3}, keep_outputs=True)
    d = attncheck.diff(ra, rb)
    assert d["metrics"] == want["metrics"] and d["verdict"] == want["verdict"] and d["regressions"] == want["regressions"]
    changed = int(np.count_nonzero(ra["arrays"]["device"] != rb["arrays"]["device"]))
    assert changed > 0 and d["changes"]["changed"] == changed == want["changes"]["changed"]
    # Two kernels run here, as `diff --kernel A --kernel B --fixture F`.
    cli("diff", "--kernel", "uc-int32-lut", "--kernel", "uc-legacy-int8", "--fixture", SEED42, "--json", tmp_path / "k.json")
    want = json.loads((tmp_path / "k.json").read_text())
    d = attncheck.diff("uc-int32-lut", "uc-legacy-int8", fixture=SEED42)
    assert {k: v for k, v in d.items() if k not in ("a", "b")} == {k: v for k, v in want.items() if k not in ("a", "b")}
    assert d["verdict"] == "REGRESSED" and "correlation" in d["regressions"]
    with pytest.raises(attncheck.InputError, match="tolerance_for: unknown metric speed"):
        attncheck.diff(ra, rb, tolerance_for={"speed": 1})


def test_assert_close_to_model_counts_what_is_beyond_atol_and_names_the_worst():
    fx = attncheck.fixture("numpy-randint", seed=42, shape=(64, 64), heads=2)
    model = attncheck.emulate("uc-int32-lut", fx["q"], fx["k"], fx["v"])
    device = model.copy()
    # Three elements moved by 1, 2 and 3 LSB, away from the int8 limits.
    moves = {(0, 1, 2): 1, (1, 22, 5): -3, (1, 40, 63): 2}
    for at, by in moves.items():
        device[at] = model[at] + by if abs(int(model[at])) < 120 else model[at] // 2
        moves[at] = int(device[at]) - int(model[at])
    assert_close_to_model(model, model, atol=0)
    worst = max(moves, key=lambda at: abs(moves[at]))
    atol = sorted(abs(v) for v in moves.values())[0]  # only the smallest move is within it
    assert_close_to_model(device, model, atol=max(abs(v) for v in moves.values()))
    with pytest.raises(AssertionError) as e:
        assert_close_to_model(device, model, atol=atol)
    assert str(e.value) == (f"device vs model: 2 of {model.size} elements differ by more than {atol} LSB; the worst at "
                            f"[{worst[0]}, {worst[1]}, {worst[2]}]: device {device[worst]}, model {model[worst]} "
                            f"({abs(moves[worst])} LSB)")
    with pytest.raises(attncheck.InputError, match="shape"):
        assert_close_to_model(device[0], model)


def test_errors_name_keyword_arguments_not_cli_flags(tmp_path):
    fx = attncheck.fixture("numpy-randint", seed=1, shape=(64, 64))
    for call, words in (
        (lambda: attncheck.run("uc-int32-lut", fx, backend="npu"), 'run(backend="npu") needs xclbin=...'),
        (lambda: attncheck.run("uc-int32-lut", fx, backend="replay"), 'run(backend="replay") needs device_output=...'),
        (lambda: attncheck.run("uc-int32-lut", fx, backend="sim"), 'run(backend="sim") needs elf=...'),
        (lambda: attncheck.run("uc-int32-lut", fx, params={"scale_shift": 40}), 'params={"scale_shift": 40}: out of range'),
        (lambda: attncheck.emulate("uc-int32-lut", fx["q"], fx["k"], fx["v"], scale_shift=40), 'params={"scale_shift": 40}'),
        (lambda: attncheck.run("uc-int32-lut", fx, backend="bogus"), 'run(backend="bogus"): unknown backend'),
    ):
        with pytest.raises(attncheck.InputError) as e:
            call()
        assert str(e.value).startswith(words), str(e.value)
        assert "--" not in str(e.value), str(e.value)
