"""pytest helpers: assertions whose failure message is the CLI's localization."""
from . import _core


def assert_bit_exact(dut, model):
    """Raise AssertionError unless `dut` equals `model` element for element (no tolerance).

    The message is the CLI's: how many elements differ, the first, and where the mismatching
    rows are, e.g. "312 of 4096 elements differ (...): rows 22..26 of head 0 ...".
    """
    r = _core.check_bit_exact(dut, model)
    if not r["bit_exact"]:
        raise AssertionError(f"device vs model: {r['verdict']}; where: {r['where']}")


def assert_gates(report, gates):
    """Raise AssertionError when `report` (a dict from attncheck.run) fails `gates` (a gates file
    path or dict), or when no device ran (pass None: auto fell back to the model and the device
    checks were skipped); the message lists each gate as `attncheck run --gates` prints it."""
    r = _core.evaluate_gates(report, gates)
    if r.get("not_run"):
        raise AssertionError("gates not checked: " + r["not_run"])
    if not r["pass"]:
        raise AssertionError("gates failed:\n" + r["summary"])
    return r["gates"]
