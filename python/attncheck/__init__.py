"""attncheck in Python: golden and bit-exact integer models of INT8 attention kernels, and the comparator.

Numpy arrays in and out, no files needed; the numbers are the CLI's (the same C++ libraries).
Bad input raises attncheck.InputError (a ValueError) with the CLI's one-line message.

    import attncheck
    kernel = attncheck.kernels()[0]["name"]   # or a kernel package directory
    fx = attncheck.fixture("numpy-randint", seed=42, shape=(64, 64))
    out = attncheck.emulate(kernel, fx["q"], fx["k"], fx["v"])
    report = attncheck.run(kernel, fx, backend="host", keep_outputs=True)   # report["arrays"]["device"]
    attncheck.testing.assert_bit_exact(device_output, out)
    attncheck.diff(report_a, report_b)          # `attncheck diff`, as the dict `diff --json` writes

docs/python.md documents every function with an example.
"""
import os as _os


def _import_error(err):
    """Why the compiled part `_core` did not import, in one line: built for another interpreter
    (its ABI tag is in the file name), not built at all, or else the loader's own reason."""
    import glob
    import re
    import sys
    import sysconfig

    here = _os.path.dirname(_os.path.abspath(__file__))
    builds = sorted(_os.path.basename(p) for ext in ("so", "pyd") for p in glob.glob(_os.path.join(here, "_core*." + ext)))
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    this = f"{sys.implementation.name} {sys.version_info[0]}.{sys.version_info[1]}".replace("cpython", "CPython")
    rebuild = f"rebuild with {sys.executable} -m pip install PATH/TO/attncheck (or cmake -DPython3_EXECUTABLE={sys.executable})"
    if not builds:
        return ImportError(f"attncheck: the compiled part _core{suffix} is not in {here} (not built): {rebuild}")
    if "_core" + suffix not in builds:
        # _core.cpython-311-x86_64-linux-gnu.so: CPython 3.11 (3.13t: the free-threaded build).
        m = re.match(r"_core\.cpython-(\d)(\d+)([a-z]*)-", builds[0])
        built = f"CPython {m.group(1)}.{m.group(2)}{m.group(3)}" if m else "another interpreter"
        flags = sysconfig.get_config_var("abiflags") or ""
        return ImportError(f"attncheck: this module was built for {built} ({builds[0]}); this interpreter is {this}{flags} "
                           f"({sys.implementation.cache_tag}, wants _core{suffix}): {rebuild}")
    return err


try:
    from . import _core
except ImportError as _e:
    raise _import_error(_e) from None
from ._core import DeviceError, InputError

__version__ = _core.__version__
__all__ = ["golden", "emulate", "compare", "run", "diff", "fixture", "kernels", "testing", "InputError", "DeviceError"]

# The CLI's messages name its options; from Python they name the keyword arguments instead.
# (flag, its value's placeholder in messages) -> keyword. The C++ messages are shared with the CLI.
_KEYWORDS = {"xclbin": "xclbin", "insts": "insts", "elf": "elf", "pdi": "pdi", "design": "design",
             "device-output": "device_output", "build-manifest": "build_manifest", "sim-stack-at": "sim_stack_at",
             "gates": "gates", "fixture": "fixture", "kernel": "kernel", "tolerance": "tolerance",
             "rel-tolerance": "rel_tolerance", "tolerance-for": "tolerance_for"}
_FLAGS = {"allow-fallback": "allow_fallback=True", "allow-mismatch": "allow_mismatch=True",
          "allow-shape-change": "allow_shape_change=True"}


def _in_keyword_terms(message, function):
    """`--backend npu: needs --xclbin FILE (...)` -> `run(backend="npu") needs xclbin=... (...)`."""
    import re
    m = re.sub(r"^--backend (\w+):( needs)?", lambda g: f'{function}(backend="{g.group(1)}")' + (g.group(2) or ":"), message)
    m = re.sub(r"--sim-stack-at (\S+):", r'sim_stack_at="\1":', m)
    m = re.sub(r"--backend (\w+)", r'backend="\1"', m)
    m = re.sub(r"--param (\w+)=(-?\w+)", r'params={"\1": \2}', m)
    m = re.sub(r"--param\b", "params", m)
    for flag, keyword in _FLAGS.items():
        m = re.sub(r"--" + flag + r"\b", keyword, m)
    # An option with its placeholder (--xclbin FILE, --device-output F.npy) or alone ((--xclbin)).
    for flag, keyword in _KEYWORDS.items():
        m = re.sub(r"--" + flag + r"(?: (?:[A-Z][A-Za-z0-9_]*(?:\.[a-z]+)?|F\.npy|F))?(?![\w-])", keyword + "=...", m)
    return m


def _keyword_errors(function):
    """Runs `call()`; an InputError it raises is raised again in keyword-argument terms."""
    def wrap(call):
        try:
            return call()
        except InputError as e:
            text = str(e)
            worded = _in_keyword_terms(text, function)
            if worded == text:
                raise
            raise InputError(worded) from None
    return wrap


def _kernel(kernel):
    """A revision name or a kernel package path (str or os.PathLike)."""
    return _os.fspath(kernel)


def golden(q, k, v, scale=None, precision="fp32", scales=None):
    """The golden model: softmax(Q K^T * scale) V in FP32 (or "fp64"), in LSB of the output scale.

    q, k, v: int8 arrays of shape (S, D) or (H, S, D). scale: the logit scale, 1/sqrt(D) when None.
    scales: {"q", "k", "v", "out"} per-tensor scales as fixture.json gives them (1.0 when None).
    Returns float32 (fp32) or float64 (fp64) of the inputs' shape.
    """
    return _core.golden(q, k, v, scales=scales, scale=scale, precision=precision)


def emulate(kernel, q, k, v, scales=None, **params):
    """The integer model of `kernel` (a built-in name or a kernel package with a "model"): int8 output.

    Equal bit for bit to `attncheck emulate --kernel KERNEL`; params override the kernel's
    parameters (e.g. scale_shift=4).
    """
    return _keyword_errors("emulate")(lambda: _core.emulate(_kernel(kernel), q, k, v, scales=scales, params=params))


def compare(golden, dut, model=None):
    """The metrics `attncheck compare` writes: {"vs_golden": ...} and, given a model, "vs_model"
    (bit-exactness with localization) and "model_vs_golden". Same field names and values as the
    JSON report's "metrics"."""
    return _core.compare(golden, dut, model)


def _fixture_arg(f):
    if isinstance(f, (tuple, list)):
        if len(f) != 3:
            raise InputError("fixture: a tuple must be (q, k, v)")
        return {"q": f[0], "k": f[1], "v": f[2]}
    return f if isinstance(f, dict) else _os.fspath(f)


def _options(options):
    return {k: (_os.fspath(v) if isinstance(v, _os.PathLike) else v) for k, v in options.items()}


def run(kernel, fixture_or_arrays, backend="model", gates=None, params=None, allow_mismatch=False,
        allow_fallback=False, keep_outputs=False, **options):
    """`attncheck run`: golden, model and a backend on one fixture; returns the report as a dict.

    fixture_or_arrays: a fixture directory, a dict {"q", "k", "v"[, "scales"]} (e.g. from
    attncheck.fixture), or a tuple (q, k, v). backend: model, host, sim, npu, replay, auto.
    gates: a gates file path or a dict in its format. options: elf, xclbin, insts, pdi, design,
    device_output, build_manifest, sim_stack_at (as the CLI's options of the same names).
    keep_outputs: also return the arrays behind the metrics as report["arrays"]: "device" (the
    backend's output, int8), "model" (int8; the device's output when the backend is the model)
    and "golden" (float64, in output LSB), shaped as the inputs. They are not JSON: `json.dump`
    the report without them (`{k: v for k, v in r.items() if k != "arrays"}`).
    The report's "pass" is the verdict; InputError means bad input, as exit 2 does. backend="auto"
    with no NPU raises DeviceError (the CLI's exit 3) unless allow_fallback=True, which returns
    the model's report with "pass" None and "not_run" saying why: a skipped device check is never a pass.
    """
    f = _fixture_arg(fixture_or_arrays)
    return _keyword_errors("run")(lambda: _core.run(
        _kernel(kernel), f, backend=backend, gates=gates, params=dict(params or {}), allow_mismatch=allow_mismatch,
        allow_fallback=allow_fallback, options=_options(options), keep_outputs=keep_outputs))


def diff(a, b, fixture=None, backend="model", params=None, params_a=None, params_b=None, tolerance=1e-9,
         rel_tolerance=0.0, tolerance_for=None, allow_shape_change=False, **options):
    """`attncheck diff`: B against A, metric by metric; returns the attncheck.diff/1 dict `diff --json` writes.

    Two reports: a and b are reports from run() (with keep_outputs=True, elements are compared
    too) or paths of `run --json` / `suite --json` files (two suites: case by case).
    Two kernels: with fixture= (a directory, a dict of arrays or (q, k, v)), a and b are revisions
    or kernel packages, both run here with `backend` (options: as run's); params apply to both,
    params_a / params_b to one side.
    tolerance: worsening allowed before a metric counts as regressed (absolute); rel_tolerance:
    also allowed, this fraction of |A|; tolerance_for: {"mae": 0.01, ...} per metric.
    result["verdict"] is "OK", "NO CHANGE" or "REGRESSED" (a suite diff: "OK" or "REGRESSED"),
    result["regressions"] names what got worse.
    """
    by_metric = dict(tolerance_for or {})
    if fixture is None:
        if params or params_a or params_b or options or backend != "model":
            raise InputError("diff: backend=, params=, params_a=, params_b= and run options apply to two kernels "
                             "run on fixture=...; two reports need none")

        def side(r):
            if isinstance(r, dict) and "arrays" in r:
                return {k: v for k, v in r.items() if k != "arrays"}, r["arrays"]
            return (r if isinstance(r, dict) else _os.fspath(r)), None

        (ra, aa), (rb, ab) = side(a), side(b)
        return _keyword_errors("diff")(lambda: _core.diff(ra, aa, rb, ab, tolerance, rel_tolerance, by_metric,
                                                          allow_shape_change))
    common = dict(params or {})
    return _keyword_errors("diff")(lambda: _core.diff_kernels(
        _kernel(a), _kernel(b), _fixture_arg(fixture), backend, {**common, **dict(params_a or {})},
        {**common, **dict(params_b or {})}, tolerance, rel_tolerance, by_metric, _options(options)))


def fixture(recipe="numpy-randint", seed=42, shape=(64, 64), heads=0, low=-64, high=64, logit_std=3.0):
    """The arrays of `attncheck fixture make`: {"q", "k", "v", "scales", "seed", "recipe"}.

    numpy-randint: np.random.seed(seed); Q, K, V = randint(low, high, shape, int8), byte for byte
    numpy's. realistic: Gaussian Q, K, V quantized per tensor, with scales. heads=0 gives (S, D).
    """
    return _core.fixture(recipe=recipe, seed=seed, shape=list(shape), heads=heads, low=low, high=high,
                         logit_std=logit_std)


def kernels():
    """The built-in revisions: name, summary, params (default, min, max), layout, model."""
    return _core.kernels()


from . import testing  # noqa: E402  (uses the functions above)
