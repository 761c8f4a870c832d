# attncheck.xrt: the team's pyxrt test script, unchanged but for its import, runs on the array simulator and prints the seed 001 hardware figure.
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import attncheck
import attncheck.xrt as xrt

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("ATTNCHECK_SHARED_DIR", HERE.parents[2] / ".." / "shared")).resolve()
INT32 = SHARED / "aie2" / "int32-2025-11-03"
EXE = os.environ.get("ATTNCHECK_CLI", "")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    """A build folder as the user's scripts expect it: the xclbin (wrapped around the shared INT32
    PDI by `attncheck xclbin wrap`) and insts.bin (the words of its npu_insts.mlir)."""
    if not INT32.is_dir() or not EXE:
        pytest.fail("needs ../shared/aie2 and ATTNCHECK_CLI (set by the ctest case)")
    d = tmp_path_factory.mktemp("build_attention_int32")
    subprocess.run([EXE, "xclbin", "wrap", "--pdi", str(INT32 / "main.pdi"), "--out", str(d / "attention_int32.xclbin")], check=True,
                   capture_output=True)
    (d / "insts.bin").write_bytes(attncheck._core.instruction_words(str(INT32 / "npu_insts.mlir")))
    return d


def test_the_users_script_prints_the_hardware_figure(build_dir):
    script = HERE / "scripts" / "test_attention_int32_accuracy.py"
    env = dict(os.environ)
    r = subprocess.run([sys.executable, str(script), str(build_dir)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "Correlation: 0.8498" in r.stdout


def test_the_simulator_never_claims_to_be_a_device_and_counts_every_run(build_dir):
    dev = xrt.device(0)
    assert "simulator" in dev.name and "not a device" in dev.name
    xb = xrt.xclbin(str(build_dir / "attention_int32.xclbin"))
    dev.register_xclbin(xb)
    ctx = xrt.hw_context(dev, xb.get_uuid())
    k = xrt.kernel(ctx, "MLIR_AIE")
    insts = (build_dir / "insts.bin").read_bytes()
    ibo = xrt.bo(dev, len(insts), xrt.bo.flags.cacheable, k.group_id(1))
    ibo.write(insts, 0)
    a = xrt.bo(dev, 12288, xrt.bo.flags.host_only, k.group_id(3))
    o = xrt.bo(dev, 4096, xrt.bo.flags.host_only, k.group_id(4))
    a.map()[:] = np.arange(12288) % 7
    before = len(xrt.runs())
    for _ in range(2):
        run = k(3, ibo, len(insts) // 4, a, o)
        assert run.wait() == xrt.ert_cmd_state.ERT_CMD_STATE_COMPLETED
    assert len(xrt.runs()) == before + 2
    rep = xrt.runs()[-1]["report"]
    assert rep["calls"] == 2 and "not a device" in rep["backend"]
    assert [c["tile"] for c in rep["cores"]] == [[0, 2]]
    assert rep["cores"][0]["program"].endswith("tile (0,2)") or "main_core" in rep["cores"][0]["program"] or "CDO" in rep["cores"][0]["program"]


def test_bad_calls_raise_in_one_line(build_dir):
    dev = xrt.xrt_device(0)
    dev.load_xclbin(str(build_dir / "attention_int32.xclbin"))
    k = xrt.kernel(xrt.hw_context(dev), "MLIR_AIE")
    insts = (build_dir / "insts.bin").read_bytes()
    ibo = xrt.bo(dev, len(insts), xrt.bo.flags.cacheable, 1)
    ibo.write(insts, 0)
    small = xrt.bo(dev, 64, xrt.bo.flags.host_only, 3)
    o = xrt.bo(dev, 4096, xrt.bo.flags.host_only, 4)
    with pytest.raises(attncheck.InputError) as e:
        k(3, ibo, len(insts) // 4, small, o)
    assert "\n" not in str(e.value) and "host buffer" in str(e.value)
    with pytest.raises(RuntimeError):
        xrt.device(1)


def test_a_riallto_style_script_runs_color_threshold_on_a_whole_frame():
    """Issue 25: a host script in Riallto's style (its runtime/apprunner.py's calls) runs one of
    Riallto's applications on the simulator: color_threshold_v1_720p, a gradient frame, the TRUNC
    threshold type, every byte equal to threshold.cc's arithmetic."""
    binaries = SHARED / "npu1" / "riallto-0593d004" / "binaries"
    if not binaries.is_dir():
        pytest.fail("needs ../shared/npu1")
    script = HERE / "scripts" / "riallto_color_threshold.py"
    r = subprocess.run([sys.executable, str(script), str(binaries)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "simulator" in r.stdout and "state 4, 3686400 bytes, 0 differ from threshold.cc's TRUNC" in r.stdout, r.stdout
