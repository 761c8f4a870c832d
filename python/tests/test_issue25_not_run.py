"""Issue 25.2 in Python: a run no device made (backend="auto", no NPU) is never a pass."""
import os

import pytest

import attncheck
from attncheck import testing

SOURCE = os.environ["ATTNCHECK_SOURCE_DIR"]
GATES = {"require_bit_exact": True, "min_correlation": 0.5}


def _npu_present():
    return os.path.exists("/dev/accel/accel0")


@pytest.mark.skipif(_npu_present(), reason="an NPU is present: auto would run it")
def test_auto_without_a_device_raises_device_error_unless_fallback_is_allowed():
    fx = os.path.join(SOURCE, "fixtures", "seed42")
    with pytest.raises(attncheck.DeviceError, match="no device ran.*allow_fallback=True"):
        attncheck.run("uc-int32-lut", fx, backend="auto", gates=GATES)
    report = attncheck.run("uc-int32-lut", fx, backend="auto", gates=GATES, allow_fallback=True)
    assert report["pass"] is None
    assert "auto fell back to the model" in report["not_run"]
    # assert_gates refuses it, though the model's own metrics meet every gate.
    with pytest.raises(AssertionError, match="gates not checked: no device ran"):
        testing.assert_gates(report, GATES)
    # The same report from the model backend passes: the refusal is about the missing device.
    testing.assert_gates(attncheck.run("uc-int32-lut", fx, backend="model"), GATES)
