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
    if isinstance(report, dict) and "arrays" in report:  # run(keep_outputs=True): numpy arrays are not JSON
        report = {k: v for k, v in report.items() if k != "arrays"}
    r = _core.evaluate_gates(report, gates)
    if r.get("not_run"):
        raise AssertionError("gates not checked: " + r["not_run"])
    if not r["pass"]:
        raise AssertionError("gates failed:\n" + r["summary"])
    return r["gates"]


def assert_close_to_model(device, model, atol=0):
    """Raise AssertionError unless every element of `device` is within `atol` LSB of `model`.

    For a kernel that changes arithmetic on purpose (a new rounding, another LUT): the model of the
    old revision stays the reference, and `atol` says how far the new one may move. Integer
    arrays are compared exactly (as int64); the message names how many elements are beyond atol,
    the worst one, its index and both values, e.g. "device vs model: 12 of 4096 elements differ
    by more than 1 LSB; the worst at [0, 22, 5]: device 17, model 14 (3 LSB)".
    """
    import numpy as np

    d, m = np.asarray(device), np.asarray(model)
    if d.shape != m.shape:
        raise _core.InputError(f"device: shape {d.shape} differs from model {m.shape}")
    if not (isinstance(atol, (int, np.integer)) and not isinstance(atol, bool) and atol >= 0):
        raise _core.InputError(f"atol {atol!r}: expected an integer number of LSB >= 0")
    exact = d.dtype.kind in "iub" and m.dtype.kind in "iub"
    diff = np.abs(d.astype(np.int64) - m.astype(np.int64)) if exact else np.abs(d.astype(np.float64) - m.astype(np.float64))
    bad = ~(diff <= atol)  # NaN (float inputs) counts as beyond
    beyond = int(np.count_nonzero(bad))
    if beyond == 0:
        return
    nan = np.isnan(diff) if not exact else np.zeros(diff.shape, bool)
    worst = np.unravel_index(int(np.argmax(nan)) if nan.any() else int(np.argmax(diff)), diff.shape)
    at = "[" + ", ".join(str(int(i)) for i in worst) + "]"
    raise AssertionError(f"device vs model: {beyond} of {diff.size} elements differ by more than {atol} LSB; the worst at "
                         f"{at}: device {d[worst]}, model {m[worst]} ({diff[worst]} LSB)")
