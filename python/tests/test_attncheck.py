"""The Python module against the CLI: same arrays, same metrics, same reports, and failures that read like the CLI."""
import json
import os
import shutil
import subprocess
import threading

import numpy as np
import pytest

import attncheck
from attncheck import testing

CLI = os.environ["ATTNCHECK_CLI"]
SOURCE = os.environ["ATTNCHECK_SOURCE_DIR"]
SHARED = os.environ["ATTNCHECK_SHARED_DIR"]
USER_INT32 = os.path.join(SHARED, "aie2", "int32-2025-11-03")


def cli(*args, check=True):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode not in (0, 1):
        raise AssertionError(f"attncheck {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}")
    return r


def fixture_for(rev, tmp_path, heads=2):
    """A fixture directory the revision can take, from the CLI, and the same arrays from Python."""
    shape = (64, 64) if rev["layout"] == "head-tile" else (100, 64)
    d = tmp_path / f"fx-{rev['name']}"
    cli("fixture", "make", "--recipe", "realistic", "--seed", 5, "--shape", f"{shape[0]}x{shape[1]}", "--heads", heads,
        "--out", d)
    return d, attncheck.fixture("realistic", seed=5, shape=shape, heads=heads)


KERNELS = attncheck.kernels()


def test_fixture_equals_the_cli_fixture_byte_for_byte(tmp_path):
    d = tmp_path / "fx"
    cli("fixture", "make", "--recipe", "numpy-randint", "--seed", 42, "--shape", "64x64", "--out", d)
    fx = attncheck.fixture("numpy-randint", seed=42, shape=(64, 64))
    for t in "qkv":
        assert fx[t].dtype == np.int8
        np.testing.assert_array_equal(fx[t], np.load(d / f"{t}.npy"))
    # and the committed reference input, made by numpy itself
    np.testing.assert_array_equal(fx["q"], np.load(os.path.join(SOURCE, "fixtures", "seed42", "q.npy")))


@pytest.mark.parametrize("rev", KERNELS, ids=[k["name"] for k in KERNELS])
def test_emulate_equals_attncheck_emulate_bit_for_bit(rev, tmp_path):
    d, fx = fixture_for(rev, tmp_path)
    out = tmp_path / "cli.npy"
    cli("emulate", "--kernel", rev["name"], "--fixture", d, "--out", out)
    ours = attncheck.emulate(rev["name"], fx["q"], fx["k"], fx["v"], scales=fx["scales"])
    assert ours.dtype == np.int8 and ours.shape == np.load(out).shape
    assert np.array_equal(ours, np.load(out))


def test_golden_equals_attncheck_golden_bit_for_bit(tmp_path):
    d = tmp_path / "fx"
    cli("fixture", "make", "--recipe", "realistic", "--seed", 3, "--shape", "200x64", "--heads", 2, "--out", d)
    fx = attncheck.fixture("realistic", seed=3, shape=(200, 64), heads=2)
    for precision, dtype in (("fp32", np.float32), ("fp64", np.float64)):
        cli("golden", "--fixture", d, "--precision", precision, "--out", tmp_path / f"{precision}.npy")
        ours = attncheck.golden(fx["q"], fx["k"], fx["v"], scales=fx["scales"], precision=precision)
        assert ours.dtype == dtype
        assert np.array_equal(ours, np.load(tmp_path / f"{precision}.npy"))


def test_compare_equals_the_cli_json_metrics(tmp_path):
    fx = attncheck.fixture("numpy-randint", seed=7, shape=(64, 64), heads=3)
    golden = attncheck.golden(fx["q"], fx["k"], fx["v"])
    model = attncheck.emulate("uc-int32-lut", fx["q"], fx["k"], fx["v"])
    dut = model.copy()
    dut[1, 22:27, :] = np.clip(dut[1, 22:27, :].astype(np.int16) + 5, -128, 127).astype(np.int8)
    for name, a in (("golden", golden), ("model", model), ("dut", dut)):
        np.save(tmp_path / f"{name}.npy", a)
    cli("compare", "--golden", tmp_path / "golden.npy", "--dut", tmp_path / "dut.npy", "--model", tmp_path / "model.npy",
        "--json", tmp_path / "r.json")
    expected = json.loads((tmp_path / "r.json").read_text())["metrics"]
    ours = attncheck.compare(golden, dut, model)
    assert ours == expected
    assert ours["vs_model"]["bit_exact"] is False
    assert attncheck.compare(golden, model)["vs_golden"] == expected["model_vs_golden"]


def test_assert_bit_exact_fails_with_the_localization_message():
    fx = attncheck.fixture("numpy-randint", seed=1, shape=(64, 64), heads=2)
    model = attncheck.emulate("uc-legacy-int8", fx["q"], fx["k"], fx["v"])
    testing.assert_bit_exact(model.copy(), model)
    dut = model.copy()
    dut[0, 22:27, :] = 17
    with pytest.raises(AssertionError) as e:
        testing.assert_bit_exact(dut, model)
    msg = str(e.value)
    assert "NOT bit-exact" in msg
    assert "head 0 rows 22-26" in msg
    first = next((j for j in range(64) if model[0, 22, j] != 17), None)
    assert f"first at [0, 22, {first}] device 17 model {model[0, 22, first]}" in msg


def test_assert_gates_passes_and_fails_with_the_gate_lines():
    fx = attncheck.fixture("numpy-randint", seed=42, shape=(64, 64))
    report = attncheck.run("uc-int32-lut", fx, backend="host")
    testing.assert_gates(report, {"min_correlation": 0.5, "require_bit_exact": True})
    with pytest.raises(AssertionError) as e:
        testing.assert_gates(report, {"min_correlation": 0.99})
    assert "min_correlation" in str(e.value) and "FAIL" in str(e.value)


def backends_for(rev, tmp_path, d):
    """Every backend this machine runs for the revision, with its options: no NPU here."""
    out = [("model", {}), ("host", {})]
    if rev["name"] == "uc-int32-lut":
        # The shared ELF with its stack moved clear of the buffers (docs/aie2.md).
        out.append(("sim", {"elf": os.path.join(USER_INT32, "main_core_0_2.elf"), "sim_stack_at": "0x78800"}))
    captured = tmp_path / f"captured-{rev['name']}.npy"
    cli("emulate", "--kernel", rev["name"], "--fixture", d, "--out", captured)
    out.append(("replay", {"device_output": str(captured)}))
    return out


@pytest.mark.parametrize("rev", KERNELS, ids=[k["name"] for k in KERNELS])
def test_run_gives_the_cli_report_for_every_kernel_and_backend_the_host_runs(rev, tmp_path):
    d, fx = fixture_for(rev, tmp_path)
    for backend, opts in backends_for(rev, tmp_path, d):
        path = tmp_path / f"{backend}.json"
        args = ["run", "--kernel", rev["name"], "--fixture", d, "--backend", backend, "--json", path]
        for k, v in opts.items():
            args += ["--" + k.replace("_", "-"), v]
        cli(*args)
        expected = json.loads(path.read_text())
        for fixture in (str(d), fx):  # the directory, and the same arrays in memory
            ours = attncheck.run(rev["name"], fixture, backend=backend, **opts)
            assert ours["metrics"] == expected["metrics"], (backend, fixture if isinstance(fixture, str) else "arrays")
            assert ours["output_sha256"] == expected["output_sha256"]
            assert ours["kernel"] == expected["kernel"]
            assert ours["pass"] == expected["pass"]
            assert ours["backend"]["name"] == backend
            assert ours["fixture"]["sha256"] == expected["fixture"]["sha256"]


def test_a_kernel_package_runs_from_python(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for f in ("attention_int8_64x64_tiled.c", "exp_lut_int8.h"):
        shutil.copy(os.path.join(USER_INT32, f), pkg / f)
    (pkg / "kernel.json").write_text(json.dumps({
        "name": "my-int32-lut", "sources": ["attention_int8_64x64_tiled.c"], "include_dirs": ["."],
        "entry": "attention_64x64", "tile": {"seq": 64, "dim": 64},
        "args": [{"input": ["q", "k", "v"]}, {"output": "out"},
                 {"param": "scale_shift", "type": "uint32", "default": 4, "min": 0, "max": 31}],
        "model": "uc-int32-lut"}))
    os.environ["ATTNCHECK_CACHE_DIR"] = str(tmp_path / "cache")
    fx = attncheck.fixture("numpy-randint", seed=9, shape=(64, 64), heads=2)
    report = attncheck.run(pkg, fx, backend="host")
    assert report["metrics"]["vs_model"]["bit_exact"] is True
    assert report["kernel"]["package"]["model"] == "uc-int32-lut"
    assert np.array_equal(attncheck.emulate(pkg, fx["q"], fx["k"], fx["v"], scale_shift=3),
                          attncheck.emulate("uc-int32-lut", fx["q"], fx["k"], fx["v"], scale_shift=3))
    # Edited in the same session: the next run compiles the new source (the cache is by content).
    src = pkg / "attention_int8_64x64_tiled.c"
    src.write_text(src.read_text().replace("(weighted_sum + sign * 64) >> 7", "(weighted_sum + sign * 63) >> 7"))
    edited = attncheck.run(pkg, fx, backend="host")
    assert edited["metrics"]["vs_model"]["bit_exact"] is False
    assert edited["backend"]["build"]["library"] != report["backend"]["build"]["library"]


def test_bad_input_is_an_exception_with_the_cli_message(tmp_path):
    fx = attncheck.fixture("numpy-randint", seed=1, shape=(64, 64))
    q, k, v = fx["q"], fx["k"], fx["v"]
    with pytest.raises(attncheck.InputError, match="q: dtype <f4, expected int8"):
        attncheck.emulate("uc-int32-lut", q.astype(np.float32), k, v)
    with pytest.raises(ValueError, match="unknown revision"):
        attncheck.emulate("no-such-kernel", q, k, v)
    with pytest.raises(attncheck.InputError, match="out of range 0..31"):
        attncheck.emulate("uc-int32-lut", q, k, v, scale_shift=40)
    with pytest.raises(attncheck.InputError, match="shapes differ"):
        attncheck.emulate("uc-int32-lut", q, k[:32], v)
    with pytest.raises(attncheck.InputError, match="golden"):
        attncheck.compare(np.full((64, 64), np.nan), q)
    with pytest.raises(attncheck.InputError, match="fixture"):
        attncheck.run("uc-int32-lut", {"q": q, "k": k}, backend="model")
    with pytest.raises(attncheck.InputError, match="xclbin"):
        attncheck.run("uc-int32-lut", fx, backend="npu")
    with pytest.raises(attncheck.InputError, match="scales"):
        attncheck.golden(q, k, v, scales={"q": -1.0, "k": 1.0, "v": 1.0, "out": 1.0})


def test_the_gil_is_released_while_the_models_compute():
    import sys
    import time
    fx = attncheck.fixture("numpy-randint", seed=2, shape=(1500, 64), heads=8)
    started = threading.Event()
    stamps = {}

    def work():
        started.set()
        out = attncheck.emulate("precise-v1", fx["q"], fx["k"], fx["v"])
        stamps["end"] = time.perf_counter()  # back in Python: the GIL is this thread's again
        stamps["out"] = out

    # A 10 s switch interval: the interpreter never takes the GIL from a thread in that time, so
    # this thread can run while the model computes only if the model released it.
    old = sys.getswitchinterval()
    sys.setswitchinterval(10)
    try:
        t = threading.Thread(target=work)
        t.start()
        started.wait()
        ran_at = time.perf_counter()
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert stamps["out"].shape == (8, 1500, 64)
    assert ran_at < stamps["end"], "the main thread ran only after the model returned: the GIL was held"
