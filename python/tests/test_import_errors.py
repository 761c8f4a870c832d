"""Importing the package where its compiled part cannot load says why in one line (another interpreter's build, or none)."""
import os
import shutil
import subprocess
import sys
import sysconfig

import attncheck

PACKAGE = os.path.dirname(attncheck.__file__)
OURS = "_core" + sysconfig.get_config_var("EXT_SUFFIX")


def copy_package(tmp_path, rename_to=None):
    """The built package copied into tmp_path, its extension renamed (or removed when rename_to is "")."""
    dst = tmp_path / "attncheck"
    shutil.copytree(PACKAGE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    if rename_to is not None:
        os.remove(dst / OURS)
        if rename_to:
            shutil.copy(os.path.join(PACKAGE, OURS), dst / rename_to)
    return tmp_path


def import_in(path):
    env = dict(os.environ, PYTHONPATH=str(path))
    return subprocess.run([sys.executable, "-c", "import attncheck"], capture_output=True, text=True, env=env, cwd=path)


def test_the_copy_itself_imports(tmp_path):
    assert import_in(copy_package(tmp_path)).returncode == 0


def test_a_module_built_for_another_cpython_names_both_versions(tmp_path):
    # Another minor version than this interpreter's: 3.9 unless this is 3.9.
    other = (3, 12) if sys.version_info[:2] == (3, 9) else (3, 9)
    foreign = f"_core.cpython-{other[0]}{other[1]}-x86_64-linux-gnu.so"
    r = import_in(copy_package(tmp_path, rename_to=foreign))
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    want = (f"ImportError: attncheck: this module was built for CPython {other[0]}.{other[1]} ({foreign}); "
            f"this interpreter is CPython {sys.version_info[0]}.{sys.version_info[1]}")
    assert last.startswith(want), last
    assert f"{sys.executable} -m pip install" in last
    assert "circular import" not in r.stderr


def test_a_package_without_its_compiled_part_says_it_is_not_built(tmp_path):
    r = import_in(copy_package(tmp_path, rename_to=""))
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ImportError: attncheck: the compiled part {OURS} is not in "), last
    assert "(not built)" in last and "circular import" not in r.stderr
