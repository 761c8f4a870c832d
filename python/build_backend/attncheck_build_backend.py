"""attncheck's PEP 517 build backend: `pip install .` builds the Python module with CMake for the interpreter running pip and packs it as a wheel, offline, with the standard library only."""
# Why in-tree: machines without PyPI access (CI, the NPU boxes) cannot install setuptools or
# scikit-build into pip's isolated build environment, and the module is a CMake target anyway.
# Config settings (pip install . -C KEY=VALUE, or --config-settings KEY=VALUE):
#   build-dir   keep the CMake build tree here (incremental rebuilds); default: a temporary one
#   build-type  CMAKE_BUILD_TYPE, default Release
#   cmake-args  extra CMake arguments, split like a shell does (the CMAKE_ARGS environment variable too)
import base64
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

NAME = "attncheck"
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUMMARY = "Golden and bit-exact integer models of INT8 attention kernels, and a comparator"
MODULE_FILES = ("__init__.py", "testing.py", "__init__.pyi", "testing.pyi", "py.typed")


class BuildError(RuntimeError):
    """A build that cannot succeed here, said in one line (pip shows it under 'Building wheel')."""


def _version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*attncheck\s+VERSION\s+([0-9.]+)", f.read())
    if not m:
        raise BuildError(f"{SOURCE}/CMakeLists.txt: no project(attncheck VERSION ...)")
    return m.group(1)


def _tag():
    """The wheel's tag for the running interpreter, as pip's tag matching expects (PEP 425)."""
    if sys.implementation.name != "cpython":
        raise BuildError(f"attncheck builds for CPython only, not {sys.implementation.name}")
    if sys.version_info < (3, 9):
        raise BuildError(f"attncheck needs Python 3.9 or later, this is {sys.version.split()[0]}")
    py = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    soabi = sysconfig.get_config_var("SOABI") or ""  # cpython-313t-x86_64-linux-gnu: its ABI flags
    parts = soabi.split("-")
    abi = "cp" + parts[1] if len(parts) > 1 and parts[0] == "cpython" else py
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{py}-{abi}-{plat}"


def _dist_info():
    return f"{NAME}-{_version()}.dist-info"


def _metadata_files():
    """{name: bytes} of the dist-info directory, RECORD aside."""
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {_version()}\n"
        f"Summary: {SUMMARY}\n"
        "Requires-Python: >=3.9\n"
        # The functions take and return numpy arrays (the import itself does not need numpy).
        "Requires-Dist: numpy\n"
    )
    wheel = ("Wheel-Version: 1.0\n"
             f"Generator: attncheck_build_backend {_version()}\n"
             "Root-Is-Purelib: false\n"
             f"Tag: {_tag()}\n")
    return {"METADATA": metadata.encode(), "WHEEL": wheel.encode(), "top_level.txt": f"{NAME}\n".encode()}


def _settings(config_settings):
    s = dict(config_settings or {})
    known = {"build-dir", "build-type", "cmake-args"}
    unknown = sorted(set(s) - known)
    if unknown:
        raise BuildError(f"unknown config setting {unknown[0]} (known: {', '.join(sorted(known))})")
    for k, v in s.items():
        if isinstance(v, list):  # pip >= 23.1 passes a repeated -C KEY=... as a list
            s[k] = " ".join(v) if k == "cmake-args" else v[-1]
    return s


def _run(cmd, what):
    print("attncheck build:", " ".join(shlex.quote(c) for c in cmd), flush=True)
    r = subprocess.run(cmd)
    if r.returncode != 0:
        raise BuildError(f"{what} failed (exit {r.returncode}); its output is above")


def _cache_value(build, key):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def _pybind11_dir():
    """pybind11's CMake directory when this interpreter has the pybind11 package; else CMake looks
    (Debian's pybind11-dev installs /usr/lib/cmake/pybind11, found for any interpreter)."""
    try:
        import pybind11  # noqa: F401  (only present when the user installed it)
        return pybind11.get_cmake_dir()
    except Exception:
        return None


def _configure_and_build(build, settings):
    if shutil.which("cmake") is None:
        raise BuildError("cmake not found on PATH (Debian: apt-get install cmake)")
    include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(include, "Python.h")):
        raise BuildError(f"no Python.h in {include}: install this Python's headers (Debian: apt-get install python3-dev)")
    # A tree configured for another interpreter keeps that one's cached paths: start it afresh.
    cached = _cache_value(build, "Python3_EXECUTABLE")
    if cached is not None and os.path.realpath(cached) != os.path.realpath(sys.executable):
        os.remove(os.path.join(build, "CMakeCache.txt"))
        shutil.rmtree(os.path.join(build, "CMakeFiles"), ignore_errors=True)
    cmd = ["cmake", "-S", SOURCE, "-B", build,
           f"-DCMAKE_BUILD_TYPE={settings.get('build-type', 'Release')}",
           "-DATTNCHECK_TESTS=OFF",
           # Both spellings: the project's FindPython3 and pybind11's classic mode read one each.
           f"-DPython3_EXECUTABLE={sys.executable}", f"-DPYTHON_EXECUTABLE={sys.executable}"]
    if shutil.which("ninja") and not os.path.exists(os.path.join(build, "Makefile")):
        cmd += ["-G", "Ninja"]
    p11 = _pybind11_dir()
    if p11:
        cmd.append(f"-Dpybind11_DIR={p11}")
    cmd += shlex.split(os.environ.get("CMAKE_ARGS", "")) + shlex.split(settings.get("cmake-args", ""))
    _run(cmd, "cmake configure")
    if _cache_value(build, "ATTNCHECK_PYTHON") not in ("ON", "TRUE", "1"):
        if (_cache_value(build, "pybind11_DIR") or "").endswith("NOTFOUND"):
            raise BuildError("pybind11's CMake package not found (Debian: apt-get install pybind11-dev; "
                             "or pip install pybind11, or -C cmake-args=-Dpybind11_DIR=DIR)")
        raise BuildError(f"CMake found no Python development files for {sys.executable} "
                         "(or ATTNCHECK_PYTHON is OFF): see the configure output above")
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
    _run(["cmake", "--build", build, "--target", "attncheck_python", "--parallel", jobs], "cmake --build")
    module_dir = os.path.join(build, "python", NAME)
    ext = "_core" + sysconfig.get_config_var("EXT_SUFFIX")
    if not os.path.exists(os.path.join(module_dir, ext)):
        raise BuildError(f"the build made no {ext} in {module_dir} (CMake built for another interpreter?)")
    return module_dir, ext


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(path, files):
    """files: [(name in the wheel, bytes, executable)]; RECORD last, as the wheel spec wants."""
    record = [_record_line(n, d) for n, d, _ in files]
    record_name = f"{_dist_info()}/RECORD"
    record.append(f"{record_name},,")
    files = files + [(record_name, ("\n".join(record) + "\n").encode(), False)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, executable in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


# PEP 517 hooks.

def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    d = os.path.join(metadata_directory, _dist_info())
    os.makedirs(d, exist_ok=True)
    for name, data in _metadata_files().items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return _dist_info()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    settings = _settings(config_settings)
    tag = _tag()
    keep = settings.get("build-dir")
    build = os.path.abspath(keep) if keep else tempfile.mkdtemp(prefix="attncheck-build-")
    try:
        os.makedirs(build, exist_ok=True)
        module_dir, ext = _configure_and_build(build, settings)
        files = []
        for name in MODULE_FILES + (ext,):
            with open(os.path.join(module_dir, name), "rb") as f:
                files.append((f"{NAME}/{name}", f.read(), name == ext))
        files += [(f"{_dist_info()}/{n}", d, False) for n, d in _metadata_files().items()]
        wheel = f"{NAME}-{_version()}-{tag}.whl"
        _write_wheel(os.path.join(wheel_directory, wheel), files)
        return wheel
    finally:
        if not keep:
            shutil.rmtree(build, ignore_errors=True)
