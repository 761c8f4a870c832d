"""Issue 26 from Python: the CLI's words for bad values, capped messages, the memory guard, and a kernel package that faults."""
import json
import os

import numpy as np
import pytest

import attncheck

SOURCE = os.environ["ATTNCHECK_SOURCE_DIR"]
SEED42 = os.path.join(SOURCE, "fixtures", "seed42")


def arrays():
    return [np.load(os.path.join(SEED42, n + ".npy")) for n in ("q", "k", "v")]


def test_nan_and_non_numbers_in_scales_are_the_cli_words():
    q, k, v = arrays()
    sc = {"q": 0.1, "k": 0.1, "v": 0.1, "out": 0.1}
    with pytest.raises(ValueError, match=r"^scales\.q: nan is not a finite number$"):
        attncheck.golden(q, k, v, scales=dict(sc, q=float("nan")))
    with pytest.raises(ValueError, match=r"^scales\.k: expected a number, got '2'$"):
        attncheck.golden(q, k, v, scales=dict(sc, k="2"))
    with pytest.raises(ValueError, match=r"^scales\.v: -1\.0 is not positive$"):
        attncheck.golden(q, k, v, scales=dict(sc, v=-1.0))
    with pytest.raises(ValueError, match=r"^scale: expected a number, got '2'$"):
        attncheck.golden(q, k, v, scale="2")
    with pytest.raises(ValueError, match=r"^scale: -1\.0 is not positive$"):
        attncheck.golden(q, k, v, scale=-1.0)


def test_messages_are_capped_and_a_nul_is_shown():
    q, k, v = arrays()
    with pytest.raises(ValueError) as e:
        attncheck.emulate("x" * 1_000_000, q, k, v)
    assert len(str(e.value)) < 600
    assert str(e.value).endswith("characters)")
    with pytest.raises(ValueError, match=r'kernel "ab\\x00cd": holds a NUL byte at offset 2'):
        attncheck.emulate("ab\0cd", q, k, v)


def test_the_memory_guard_refuses_before_allocating(monkeypatch):
    q, k, v = arrays()
    monkeypatch.setenv("ATTNCHECK_MAX_MEMORY", "1K")
    with pytest.raises(ValueError, match="ATTNCHECK_MAX_MEMORY|memory"):
        attncheck.golden(q, k, v)
    with pytest.raises(ValueError, match="ATTNCHECK_MAX_MEMORY|memory"):
        attncheck.emulate("uc-int32-lut", q, k, v)
    with pytest.raises(ValueError, match="ATTNCHECK_MAX_MEMORY|memory"):
        attncheck.fixture("realistic", shape=(64, 64))


KERNEL = """#include <stdint.h>
void attn(const int8_t* qkv, int8_t* out, uint32_t shift) {
  for (int i = 0; i < 4096; ++i) out[i] = (int8_t)((qkv[i] + qkv[8192 + i]) >> (shift & 7));
  BODY
}
"""


def package(tmp_path, name, body):
    d = tmp_path / name
    d.mkdir()
    (d / "k.c").write_text(KERNEL.replace("BODY", body))
    (d / "kernel.json").write_text(json.dumps({
        "name": "py-attack", "sources": ["k.c"], "entry": "attn", "tile": {"seq": 64, "dim": 64},
        "args": [{"input": ["q", "k", "v"]}, {"output": "out"},
                 {"param": "shift", "type": "uint32", "default": 1, "min": 0, "max": 31}]}))
    return str(d)


def test_a_faulting_package_is_an_exception_and_the_interpreter_lives_on(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    monkeypatch.setenv("ATTNCHECK_CACHE_DIR", str(cache))
    q, k, v = arrays()
    fx = {"q": q, "k": k, "v": v}
    with pytest.raises(attncheck._core.KernelFault, match=r"wrote past the end of args\[1\] \(output, 4096 B\)"):
        attncheck.run(package(tmp_path, "oob", "out[4096] = 1;"), fx, backend="host")
    with pytest.raises(RuntimeError, match="died of SIGILL"):
        attncheck.run(package(tmp_path, "trap", "__builtin_trap();"), fx, backend="host")
    report = attncheck.run(package(tmp_path, "ok", ""), fx, backend="host")
    assert report["backend"]["name"] == "host"


def test_ctrl_c_stops_a_looping_package_within_a_second(tmp_path):
    """SIGINT while a package's kernel loops (default --kernel-timeout 60 s): KeyboardInterrupt in under a second."""
    import signal
    import subprocess
    import sys
    import time
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    pkg = package(tmp_path, "loop", "for (;;) { }")
    script = (
        "import attncheck, numpy as np, os\n"
        f"q, k, v = [np.load(os.path.join({SEED42!r}, n + '.npy')) for n in 'qkv']\n"
        "print('start', flush=True)\n"
        f"attncheck.run({pkg!r}, {{'q': q, 'k': k, 'v': v}}, backend='host')\n"
    )
    env = dict(os.environ, ATTNCHECK_CACHE_DIR=str(cache))
    p = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "start"
    time.sleep(3)  # compiled, loaded, looping
    sent = time.time()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("still running 20 s after SIGINT")
    took = time.time() - sent
    assert "KeyboardInterrupt" in err, err
    assert took < 1.5, took
