"""Runs the README's examples as written: the pytest block (from the build tree, and pip-installed into a fresh venv), and the CMake consumer installed, via pkg-config, and in-tree."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def blocks(readme):
    """{file name: text} of every code block the README marks <!-- example: NAME -->."""
    text = open(readme).read()
    found = dict(re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", text, re.S))
    for name in ("test_readme_example.py", "CMakeLists.txt", "main.cpp"):
        if name not in found:
            sys.exit(f"{readme}: no example block {name}")
    return found


def sh(*cmd, env=None, cwd=None):
    r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, env=env, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def expected_line(cli, source):
    """What main.cpp must print: the CLI's own figures for the model on the seeds' fixture."""
    with tempfile.TemporaryDirectory() as d:
        sh(cli, "run", "--kernel", "uc-int32-lut", "--fixture", os.path.join(source, "fixtures", "seed42"), "--json",
           os.path.join(d, "r.json"))
        m = json.load(open(os.path.join(d, "r.json")))["metrics"]["vs_golden"]
    return f"uc-int32-lut vs golden: correlation {m['correlation']:.6f}, MAE {m['mae']:.4f}"


def check_output(out, want, how):
    if out.strip() != want:
        sys.exit(f"{how}: printed {out.strip()!r}, expected {want!r}")
    print(f"{how}: {out.strip()}")


def pip_install(ex, source, build, work):
    """`pip install SOURCE` into a fresh venv, offline (the in-tree build backend, pyproject.toml),
    then `import attncheck` and the README's pytest block with the venv's python."""
    venv = os.path.join(work, "venv")
    # Debian's numpy and pytest come from the system site; attncheck must come from the venv.
    sh(sys.executable, "-m", "venv", "--system-site-packages", venv)
    py = os.path.join(venv, "bin", "python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # Kept beside the test's work dir so a re-run rebuilds only what changed; -O0 without debug
    # info, as the add_subdirectory consumer: the compiler is not what is under test here.
    tree = os.path.join(build, "test-tmp", "pip-build-tree")
    print(sh(py, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--config-settings", f"build-dir={tree}",
             "--config-settings", "build-type=None", "--config-settings", "cmake-args=-DCMAKE_CXX_FLAGS=-O0 -DCMAKE_C_FLAGS=-O0",
             source, env=env, cwd=work)[-300:])
    where = sh(py, "-c", "import attncheck; print(attncheck.__file__)", env=env, cwd=work).strip()
    if not where.startswith(os.path.realpath(venv)) and not where.startswith(venv):
        sys.exit(f"import attncheck found {where}, not the venv's ({venv})")
    print("installed in the venv:", where)
    tests = os.path.join(work, "tests")
    os.makedirs(tests)
    with open(os.path.join(tests, "test_readme_example.py"), "w") as f:
        f.write(ex["test_readme_example.py"])
    print(sh(py, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests, env=env, cwd=tests))


def main():
    mode, source, build, cli, work = sys.argv[1:6]
    ex = blocks(os.path.join(source, "README.md"))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if mode == "pytest":
        with open(os.path.join(work, "test_readme_example.py"), "w") as f:
            f.write(ex["test_readme_example.py"])
        env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
        print(sh(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", work, env=env, cwd=work))
        return
    if mode == "pip":
        pip_install(ex, source, build, work)
        return
    consumer = os.path.join(work, "consumer")
    os.makedirs(consumer)
    for name in ("CMakeLists.txt", "main.cpp"):
        with open(os.path.join(consumer, name), "w") as f:
            f.write(ex[name])
    want = expected_line(cli, source)
    if mode == "find_package":
        prefix = os.path.join(work, "prefix")
        sh("cmake", "--install", build, "--prefix", prefix)
        sh("cmake", "-S", consumer, "-B", os.path.join(work, "b"), f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release")
        sh("cmake", "--build", os.path.join(work, "b"), "-j2")
        check_output(sh(os.path.join(work, "b", "consumer")), want, "find_package(attncheck) consumer")
        # The same program through pkg-config.
        env = dict(os.environ, PKG_CONFIG_PATH=os.pathsep.join(
            os.path.join(prefix, d, "pkgconfig") for d in ("lib", "lib64", "lib/x86_64-linux-gnu", "share")))
        flags = sh("pkg-config", "--cflags", "--libs", "attncheck", env=env).split()
        exe = os.path.join(work, "pc-consumer")
        sh("c++", "-std=c++17", "-O1", os.path.join(consumer, "main.cpp"), "-o", exe, *flags)
        check_output(sh(exe), want, "pkg-config consumer")
        # What the install holds: the CLI, the headers as <attncheck/...>, the Python package.
        for rel in ("bin/attncheck", "include/attncheck/ref/golden.hpp", "lib/python3/dist-packages/attncheck/__init__.py"):
            if not os.path.exists(os.path.join(prefix, rel)):
                sys.exit(f"cmake --install: no {rel} under {prefix}")
        env = dict(os.environ, PYTHONPATH=os.path.join(prefix, "lib/python3/dist-packages"))
        print(sh(sys.executable, "-c", "import attncheck; print('installed module', attncheck.__version__)", env=env, cwd=work))
    elif mode == "add_subdirectory":
        sh("cmake", "-S", consumer, "-B", os.path.join(work, "b"), f"-DATTNCHECK_SOURCE_DIR={source}",
           "-DCMAKE_BUILD_TYPE=", "-DCMAKE_CXX_FLAGS=-O0", "-DATTNCHECK_PYTHON=OFF")
        sh("cmake", "--build", os.path.join(work, "b"), "-j2")
        check_output(sh(os.path.join(work, "b", "consumer")), want, "add_subdirectory(attncheck) consumer")
    else:
        sys.exit(f"unknown mode {mode}")
    shutil.rmtree(work, ignore_errors=True)


main()
