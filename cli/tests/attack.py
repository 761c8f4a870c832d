#!/usr/bin/python3
"""Re-runs issue 17's and issue 26's systematic attacks on the attncheck binary and prints tried / passed per class.

Usage: attack.py ATTNCHECK_EXE SEED42_FIXTURE_DIR [--scale F] [--seed N] [--only npy,packages,simulator,...]
Issue 26's classes (packages: faults, constructors, cache, compile bounds, dialect bypass, small
out-of-bounds, host speed) build small kernel packages of their own C and run them --backend host
(x86-64 Linux: the kernels use its syscall numbers in inline assembly). Its simulator classes
(issue 26.7) write their own core ELF (a store loop, hand-encoded) and placed designs; the cases
that need a toolchain build take gelu-512 from ../shared/aie2 beside the repository when it is there.
Exit 1 when any case in any class fails. Every case is generated from --seed (default 17), so a
failure reproduces; --scale shrinks the randomized classes (the sanitizer build runs 0.1).
The invariants, for every case: the process ends by itself within its time limit (no hang), never
by a signal it did not ask for, with an exit code attncheck documents (0-4, 130, 143) and never 4;
exit 2 is exactly one stderr line under 700 characters; inputs are never modified; device nodes
stay devices; a report that exists is whole JSON.
"""
import json
import os
import random
import re
import struct
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

EXE, SEED42 = sys.argv[1], sys.argv[2]
SCALE = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
RNG = random.Random(int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 17)
TMP = tempfile.mkdtemp(prefix="attncheck-attack-")
RESULTS = {}
FAILURES = []


def n(full):
    return max(1, int(full * SCALE))


def run(args, timeout=60, env=None, cwd=None):
    try:
        p = subprocess.run([EXE] + args, capture_output=True, timeout=timeout, env=env, cwd=cwd)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def ordinary(rc, err, allowed=(0, 1, 2, 3)):
    """The shared invariants; returns a reason, or '' when the case holds."""
    if rc == "timeout":
        return "hung (killed after its time limit)"
    if rc < 0:
        return "killed by signal %d" % -rc
    if rc not in allowed:
        return "exit %d" % rc
    if rc == 2:
        lines = [l for l in err.split("\n") if l]
        if len(lines) != 1:
            return "exit 2 with %d stderr lines" % len(lines)
        if len(lines[0]) > 700:
            return "exit 2 with a %d-character line" % len(lines[0])
    return ""


def record(cls, name, reason):
    tried, passed = RESULTS.get(cls, (0, 0))
    RESULTS[cls] = (tried + 1, passed + (reason == ""))
    if reason:
        FAILURES.append("%s: %s: %s" % (cls, name, reason))


def fresh_fixture(name):
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for f in ("q.npy", "k.npy", "v.npy"):
        shutil.copy(os.path.join(SEED42, f), d)
    return d


def snapshot(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            try:
                st = os.lstat(p)
                out[p] = (stat.S_IFMT(st.st_mode), open(p, "rb").read() if stat.S_ISREG(st.st_mode) else b"")
            except OSError:
                out[p] = None
    return out


# --- malformed .npy as q.npy of a fixture --------------------------------------------------------
def attack_npy():
    good = open(os.path.join(SEED42, "q.npy"), "rb").read()
    header_end = good.index(b"\n") + 1
    cases = []
    for cut in range(0, header_end + 8):
        cases.append(("truncated at %d" % cut, good[:cut]))
    for i in range(n(250)):
        b = bytearray(good)
        for _ in range(RNG.randint(1, 4)):
            pos = RNG.randrange(header_end if RNG.random() < 0.8 else len(b))
            b[pos] = RNG.randrange(256)
        cases.append(("mutation %d" % i, bytes(b)))
    header = good[10:header_end].decode("latin1")
    for descr in ("<f4", "<i2", "|u1", "<c16", "|O", ">i4", "V8", "|S4", "<f8"):
        h = header.replace("'|i1'", "'%s'" % descr)
        cases.append(("dtype " + descr, good[:10] + h.encode("latin1") + good[header_end:]))
    for shape in ("(4611686018427387904, 4611686018427387904)", "(0, 64)", "(64,)", "(1, 1, 1, 64, 64)", "(-1, 64)"):
        h = header.replace("(64, 64)", shape)
        cases.append(("shape " + shape, good[:10] + h.encode("latin1") + good[header_end:]))
    d = fresh_fixture("npy")
    for name, data in cases:
        with open(os.path.join(d, "q.npy"), "wb") as f:
            f.write(data)
        before = snapshot(d)
        rc, _, err = run(["run", "--kernel", "uc-int32-lut", "--fixture", d], timeout=30)
        reason = ordinary(rc, err, allowed=(0, 1, 2))
        if not reason and rc == 2 and "q.npy" not in err:
            reason = "the error does not name q.npy: " + err.strip()
        if not reason and snapshot(d) != before:
            reason = "the fixture changed"
        record("malformed .npy", name, reason)


# --- special files as every input ----------------------------------------------------------------
def attack_special_files():
    kinds = ["fifo", "dev-zero", "dev-urandom", "directory", "dangling-link", "socket"]
    roles = ["q.npy", "fixture.json", "--gates", "--device-output", "report input", "suite file", "--golden"]
    for kind in kinds:
        for role in roles:
            d = fresh_fixture("special")
            target = os.path.join(TMP, "special-target")
            if os.path.lexists(target):
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                else:
                    os.unlink(target)
            path = os.path.join(d, role) if role in ("q.npy", "fixture.json") else target
            if os.path.lexists(path):
                os.unlink(path)
            sock = None
            if kind == "fifo":
                os.mkfifo(path)
            elif kind == "dev-zero":
                os.symlink("/dev/zero", path)
            elif kind == "dev-urandom":
                os.symlink("/dev/urandom", path)
            elif kind == "directory":
                os.mkdir(path)
            elif kind == "dangling-link":
                os.symlink(os.path.join(TMP, "nothing-here"), path)
            else:
                import socket
                sock = socket.socket(socket.AF_UNIX)
                sock.bind(path)
            base = ["run", "--kernel", "uc-int32-lut", "--fixture", d]
            args = {"q.npy": base, "fixture.json": base, "--gates": base + ["--gates", path],
                    "--device-output": base + ["--backend", "replay", "--device-output", path],
                    "report input": ["report", path, "--md", os.path.join(TMP, "special.md")],
                    "suite file": ["suite", path],
                    "--golden": ["compare", "--golden", path, "--dut", os.path.join(SEED42, "q.npy")]}[role]
            rc, _, err = run(args, timeout=20)
            reason = ordinary(rc, err, allowed=(2,))
            record("special files as inputs", kind + " as " + role, reason)
            if sock:
                sock.close()


# --- JSON inputs ----------------------------------------------------------------------------------
def json_mutations(doc):
    text = json.dumps(doc)
    out = [("deep 100000", "[" * 100000 + "]" * 100000), ("deep value", text[:-1] + ', "x": ' + "[" * 50000 + "]" * 50000 + "}"),
           ("NUL", text + "\0{}"), ("duplicate key", text[:-1] + ", " + text[1:]), ("empty", ""), ("not JSON", "nope"),
           ("huge number", text.replace("1", "1" + "0" * 400, 1)), ("array", "[" + text + "]"), ("string", '"x"'),
           ("control characters", text.replace('"', '"\x01\x1b[2J', 2))]
    for i in range(n(60)):
        cut = RNG.randrange(len(text) + 1)
        out.append(("truncated %d" % cut, text[:cut]))
    for i in range(n(60)):
        b = list(text)
        for _ in range(RNG.randint(1, 3)):
            b[RNG.randrange(len(b))] = RNG.choice('{}[]",:0123456789-eE.tfn \\')
        out.append(("mutated %d" % i, "".join(b)))
    return out


def attack_json():
    d = fresh_fixture("json")
    report_path = os.path.join(TMP, "json-report.json")
    rc, _, err = run(["run", "--kernel", "uc-int32-lut", "--fixture", d, "--json", report_path])
    report = json.load(open(report_path))
    docs = {
        "gates": ({"max_mae": 100, "min_correlation": 0.5}, lambda p: ["run", "--kernel", "uc-int32-lut", "--fixture", d, "--gates", p]),
        "suite": ({"fixtures": [d], "revisions": ["uc-int32-lut"]}, lambda p: ["suite", p]),
        "fixture.json": ({"seed": 42, "recipe": "numpy-randint", "scales": {"q": 0.1, "k": 0.1, "v": 0.1, "out": 0.1}}, None),
        "report": (report, lambda p: ["report", p, "--md", os.path.join(TMP, "json.md"), "--html", os.path.join(TMP, "json.html")]),
        "report to diff": (report, lambda p: ["diff", report_path, p]),
    }
    for name, (doc, cmd) in docs.items():
        for mname, text in json_mutations(doc):
            if name == "fixture.json":
                path = os.path.join(d, "fixture.json")
                args = ["run", "--kernel", "uc-int32-lut", "--fixture", d]
            else:
                path = os.path.join(TMP, "attack-input.json")
                args = cmd(path)
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            rc, _, err = run(args, timeout=30)
            reason = ordinary(rc, err)
            record("JSON inputs", name + ": " + mname, reason)
        if name == "fixture.json":
            os.unlink(os.path.join(d, "fixture.json"))


# --- output paths ---------------------------------------------------------------------------------
def attack_outputs():
    d = fresh_fixture("outputs")
    inputs_before = snapshot(d)
    link = os.path.join(TMP, "out-link.json")
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.join(TMP, "out-link-target.json"), link)
    fifo = os.path.join(TMP, "out.fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    with open(os.path.join(TMP, "plain.json"), "w") as f:  # a file, so that a path under it is bad input
        f.write("{}")
    paths = {"/dev/null": "device", "/dev/full": "device", "-": "stdout", link: "symlink",
             os.path.join(TMP, "missing-dir", "x.json"): "missing dir", os.path.join(TMP, "plain.json", "x.json"): "under a file",
             TMP: "directory",
             os.path.join(d, "q.npy"): "an input", os.path.join(d, "..", "outputs", "k.npy"): "an input by another name",
             os.path.join(TMP, "plain.json"): "plain"}
    options = [["run", "--kernel", "uc-int32-lut", "--fixture", d, "--json"],
               ["run", "--kernel", "uc-int32-lut", "--fixture", d, "--junit"],
               ["run", "--kernel", "uc-int32-lut", "--fixture", d, "--save-device-output"],
               ["golden", "--fixture", d, "--out"],
               ["emulate", "--kernel", "uc-int32-lut", "--fixture", d, "--out"]]
    for opt in options:
        for path, kind in paths.items():
            rc, _, err = run(opt + [path], timeout=30)
            allowed = {"device": (0, 2), "stdout": (0,), "symlink": (0,), "missing dir": (0,), "under a file": (2,), "directory": (2,),
                       "an input": (2,), "an input by another name": (2,), "plain": (0,)}[kind]
            if path == "/dev/full":
                allowed = (2,)
            reason = ordinary(rc, err, allowed)
            for dev in ("/dev/null", "/dev/full"):
                if not reason and not stat.S_ISCHR(os.stat(dev).st_mode):
                    reason = dev + " is no longer a device"
            if not reason and kind == "symlink" and not os.path.islink(link):
                reason = "the symlink was replaced"
            if not reason and snapshot(d) != inputs_before:
                reason = "an input changed"
            record("output paths", " ".join(opt[:1] + opt[-1:]) + " " + kind, reason)
    # A FIFO output with a reader is written in place.
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
    rc, _, err = run(["run", "--kernel", "uc-int32-lut", "--fixture", d, "--json", fifo], timeout=30)
    got = reader.communicate(timeout=30)[0]
    reason = ordinary(rc, err, (0,))
    if not reason:
        try:
            json.loads(got)
        except ValueError:
            reason = "the FIFO did not receive the report"
    if not reason and not stat.S_ISFIFO(os.stat(fifo).st_mode):
        reason = "the FIFO was replaced"
    record("output paths", "run --json FIFO", reason)
    # Two outputs on one file.
    for a, b in (("--json", "--junit"), ("--json", "--save-device-output")):
        same = os.path.join(TMP, "same-out")
        rc, _, err = run(["run", "--kernel", "uc-int32-lut", "--fixture", d, a, same, b, same])
        record("output paths", a + " and " + b + " on one file", ordinary(rc, err, (2,)) or ("" if not os.path.exists(same) else "written"))


# --- signals during work --------------------------------------------------------------------------
def interrupt(cmd, sig, delay, timeout):
    """Starts the CLI with `cmd`, sends `sig` after `delay` s; (exit code or "timeout", stderr, seconds from the signal to the exit)."""
    p = subprocess.Popen([EXE] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    t0 = time.time()
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        rc, err = "timeout", b""
    return rc, err.decode("utf-8", "replace"), time.time() - t0


def attack_signals():
    suite = os.path.join(TMP, "signal-suite.json")
    d = fresh_fixture("signals")
    with open(suite, "w") as f:
        json.dump({"fixtures": [d] * 1, "revisions": ["uc-int32-lut", "precise-v1", "uc-legacy-int8"], "backends": ["model", "host"]}, f)
    for i in range(n(24)):
        sig = RNG.choice([signal.SIGINT, signal.SIGTERM])
        delay = RNG.uniform(0.0, 0.4)
        out = os.path.join(TMP, "signal-report.json")
        if os.path.exists(out):
            os.unlink(out)
        cmd = RNG.choice([["suite", suite, "--json", out, "-j", "2"],
                          ["run", "--kernel", "precise-v1", "--fixture", d, "--backend", "host", "--json", out, "--keep-outputs"]])
        rc, err, _ = interrupt(cmd, sig, delay, timeout=30)
        # A signal in the first milliseconds, before main() installs its handlers, kills by default:
        # nothing can have been written by then, which the checks below hold it to.
        reason = ordinary(rc, err, (0, 1, 128 + sig)) if rc != -sig else ""
        if not reason and os.path.exists(out):
            try:
                json.load(open(out))
                if rc == 128 + sig:
                    reason = "interrupted, yet a report was written"
            except ValueError:
                reason = "a partial report"
        leftovers = [f for f in os.listdir(TMP) if ".tmp." in f]
        if not reason and leftovers:
            reason = "temporary files left: " + ", ".join(leftovers)
        record("signals", "%s after %.2f s during %s" % (signal.Signals(sig).name, delay, cmd[0]), reason)


# --- memory limits --------------------------------------------------------------------------------
def attack_memory():
    big = os.path.join(TMP, "mem-big")
    if not os.path.exists(big):
        run(["fixture", "make", "--recipe", "numpy-randint", "--seed", "1", "--shape", "4096x64", "--heads", "2", "--out", big])
    suite = os.path.join(TMP, "mem-suite.json")
    with open(suite, "w") as f:
        json.dump({"fixtures": [big], "revisions": ["uc-int32-lut", "precise-v1"], "backends": ["model", "host"]}, f)
    cmds = [["suite", suite, "-j", "2"], ["run", "--kernel", "precise-v1", "--fixture", big], ["golden", "--fixture", big, "--out", os.path.join(TMP, "mem-g.npy")]]
    def under_limit(kib, cmd):
        """Runs cmd under `ulimit -v kib`: "" when it ended as documented (0, 1, 2), else why, with its last stderr line."""
        sh = "ulimit -v %d && exec %s %s" % (kib, EXE, " ".join(cmd))
        try:
            p = subprocess.run(["/bin/sh", "-c", sh], capture_output=True, timeout=60)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        reason = ordinary(rc, err, (0, 1, 2))
        if not reason and "terminate called" in err:
            reason = "aborted"
        if reason and err.strip():
            reason += " (" + err.strip().splitlines()[-1][:200] + ")"
        return reason

    for kib in (24000, 30000, 40000, 60000, 100000):
        for cmd in cmds:
            record("memory limits", "ulimit -v %d %s" % (kib, cmd[0]), under_limit(kib, cmd))
    # Where the suite's two workers run out of memory first (about 34 to 46 MB here), each limit
    # once: which allocation fails first is a race, and two kinds of failure there ended the
    # process with SIGABRT (a bad_alloc while nlohmann::json freed a half-built value; glibc failing
    # to register a thread_local's destructor) instead of the one-line error. (Run the class alone,
    # `--only memory`, in a loop for depth.)
    for kib in range(34000, 46001, 1000):
        record("memory limits", "ulimit -v %d suite -j 2" % kib, under_limit(kib, cmds[0]))
    for value in ("0", "1", "8M", "abc", "99999999999999999999999G"):
        env = dict(os.environ, ATTNCHECK_MAX_MEMORY=value)
        rc, _, err = run(["run", "--kernel", "precise-v1", "--fixture", big], env=env)
        record("memory limits", "ATTNCHECK_MAX_MEMORY=" + value, ordinary(rc, err, (0, 2)) or ("" if value != "0" or rc == 2 else "0 accepted"))


# --- injection ------------------------------------------------------------------------------------
def attack_injection():
    payloads = ["<script>alert(1)</script>", "</details><img src=x onerror=alert(1)>", "*x* _y_ [l](http://x) `c` | d",
                "\x1b]0;owned\x07\x1b[2J", "&lt;script&gt;", "\u202eevil", "a\rb\x08c"]
    d0 = fresh_fixture("inj-base")
    report_path = os.path.join(TMP, "inj-report.json")
    run(["run", "--kernel", "uc-int32-lut", "--fixture", d0, "--json", report_path])
    report = json.load(open(report_path))
    for i, payload in enumerate(payloads):
        for field in ("fixture.path", "kernel.revision", "backend.name", "metrics.vs_golden.correlation", "metrics.vs_golden.mae"):
            doc = json.loads(json.dumps(report))
            node = doc
            keys = field.split(".")
            for k in keys[:-1]:
                node = node[k]
            node[keys[-1]] = payload
            p = os.path.join(TMP, "inj.json")
            json.dump(doc, open(p, "w"))
            md, html = os.path.join(TMP, "inj.md"), os.path.join(TMP, "inj.html")
            for f in (md, html):
                if os.path.exists(f):
                    os.unlink(f)
            rc, out, err = run(["report", p, "--md", md, "--html", html])
            reason = ordinary(rc, err, (0, 2))
            if not reason and rc == 0:
                page, text = open(html).read(), open(md).read()
                if "<script" in page or "<img" in page:
                    reason = "HTML injected"
                elif "<script" in text or "<img" in text or text.count("</details>") != 1:
                    reason = "Markdown injected"
            if not reason and ("\x1b" in out or "\x1b" in err):
                reason = "an ESC byte reached the terminal"
            record("injection", "%s in %s" % (repr(payload)[:30], field), reason)
        safe = "".join(c for c in payload if c not in "/\0")
        d = os.path.join(TMP, "inj-dir-" + str(i) + safe)
        if os.path.exists(d):
            shutil.rmtree(d)
        shutil.copytree(d0, d)
        rc, out, err = run(["run", "--kernel", "uc-int32-lut", "--fixture", d])
        reason = ordinary(rc, err, (0,))
        if not reason and ("\x1b" in out or "\x07" in out):
            reason = "a control character reached stdout"
        rc, out, err = run(["run", "--kernel", "uc-int32-lut", "--fixture", d + "/missing"])
        if not reason and ("\x1b" in err or "\x07" in err):
            reason = "a control character reached stderr"
        record("injection", "%s in a fixture path" % repr(payload)[:30], reason)


# --- kernel packages (issue 26): the user's C runs in a worker; faults, constructors, cache, compiles --
PKG_KERNEL = r"""#include <stdint.h>
TOP
/* Not attention: a stand-in that touches every byte of both buffers, as a kernel does. */
void attn(const int8_t* qkv, int8_t* out, uint32_t shift) {
  BODY
  for (int i = 0; i < 4096; ++i) out[i] = (int8_t)((qkv[i] + qkv[8192 + i]) >> (shift & 7));
}
"""
PKG_JSON = {"name": "attack", "sources": ["k.c"], "entry": "attn", "tile": {"seq": 64, "dim": 64},
            "args": [{"input": ["q", "k", "v"]}, {"output": "out"},
                     {"param": "shift", "type": "uint32", "default": 1, "min": 0, "max": 31}]}
PKG_COUNT = [0]


def package(body="", top="", edit=None, files=None):
    PKG_COUNT[0] += 1
    d = os.path.join(TMP, "pkg-%d" % PKG_COUNT[0])
    os.makedirs(d)
    with open(os.path.join(d, "k.c"), "w") as f:
        f.write(PKG_KERNEL.replace("TOP", top).replace("BODY", body))
    j = json.loads(json.dumps(PKG_JSON))
    if edit:
        edit(j)
    json.dump(j, open(os.path.join(d, "kernel.json"), "w"))
    for name, text in (files or {}).items():
        open(os.path.join(d, name), "w").write(text)
    return d


def private_cache():
    d = tempfile.mkdtemp(prefix="cache-", dir=TMP)
    return dict(os.environ, ATTNCHECK_CACHE_DIR=d), d


ENV, CACHE = None, None


def host_run(pkg, extra=(), env=None, timeout=60):
    report = os.path.join(TMP, "pkg-report.json")
    if os.path.exists(report):
        os.unlink(report)
    rc, out, err = run(["run", "--backend", "host", "--kernel", pkg, "--fixture", SEED42, "--json", report] + list(extra),
                       timeout=timeout, env=env or ENV)
    return rc, out, err, os.path.exists(report)


def fault_held(rc, out, err, wrote, must=()):
    """A fault: exit 4, one line naming the package and the launch, no report, nothing forged on stdout."""
    if rc == "timeout":
        return "hung"
    if rc != 4:
        return "exit %s: %s" % (rc, err.strip()[:200])
    lines = [l for l in err.split("\n") if l]
    if len(lines) != 1 or "kernel package attack: " not in err:
        return "not one line naming the package: " + err.strip()[:200]
    for m in must:
        if m not in err:
            return "message lacks %r: %s" % (m, err.strip()[:200])
    if wrote:
        return "a report was written"
    if "FORGED" in out:
        return "the kernel's output reached stdout"
    return ""


# syscall(nr, a, b, c) as the kernel's own inline assembly (x86-64; no libc in a package).
SYSCALL = ('static long sc(long n, long a, long b, long c) { long r; __asm__ volatile("syscall" : "=a"(r) : '
           '"a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory"); return r; }\n'
           'static const char forged[] = "  verdict   PASS FORGED\\n";')


def attack_package_faults():
    cases = [
        ("null write", "*(volatile int8_t*)0 = 1;", "", ["launch 1 of 1", "SIGSEGV"]),
        ("wild write", "*(volatile int8_t*)0xdead0000000 = 1;", "", ["SIGSEGV"]),
        ("trap", "__builtin_trap();", "", ["SIGILL"]),
        ("ud2", "__asm__ volatile(\"ud2\");", "", ["SIGILL"]),
        ("divide by zero", "volatile int z = 0; out[0] = (int8_t)(100 / z);", "", ["SIGFPE"]),
        ("call null", "void (*volatile f)(void) = 0; f();", "", ["SIGSEGV"]),
        ("recursion", "out[0] = (int8_t)deep(0);",
         "static int deep(int n) { volatile char pad[512]; pad[0] = (char)n; return deep(n + 1) + pad[0]; }", ["SIGSEGV"]),
        ("write into code", "*(volatile uint8_t*)(uintptr_t)attn = 0xc3;", "", ["SIGSEGV"]),
        ("unmap own buffer", "sc(11, (long)out, 4096, 0); out[0] = 1;", SYSCALL, ["SIGSEGV"]),
        ("exit_group(0) mid-launch", "sc(231, 0, 0, 0);", SYSCALL, ["ended the worker process (exit status 0)"]),
        ("exit_group(1) mid-launch", "sc(231, 1, 0, 0);", SYSCALL, ["ended the worker process (exit status 1)"]),
        ("print then fault", "sc(1, 1, (long)forged, sizeof forged - 1); __builtin_trap();", SYSCALL, ["SIGILL"]),
        ("kill parent then fault", "sc(62, sc(110, 0, 0, 0), 9, 0); __builtin_trap();", SYSCALL, ["SIGILL"]),
        ("loop", "for (;;) __asm__ volatile(\"\");", "", ["--kernel-timeout"]),
        ("loop calling itself slowly", "volatile unsigned long n = 0; while (1) ++n;", "", ["--kernel-timeout"]),
    ]
    for name, body, top, must in cases:
        rc, out, err, wrote = host_run(package(body, top), ["--kernel-timeout", "2"])
        record("package faults", name, fault_held(rc, out, err, wrote, must))
    # A suite: the faulting cases are errors, the others finish, the aggregate and JUnit are written.
    good, bad = package(), package("*(volatile int8_t*)0 = 1;")
    suite = os.path.join(TMP, "pkg.suite.json")
    json.dump({"fixtures": [os.path.abspath(SEED42)], "revisions": [good, bad, "uc-int32-lut"], "backends": ["host"]}, open(suite, "w"))
    agg, junit = os.path.join(TMP, "pkg-agg.json"), os.path.join(TMP, "pkg-agg.xml")
    rc, _, err = run(["suite", suite, "--json", agg, "--junit", junit], env=ENV)
    reason = ordinary(rc, err, (2,))
    if not reason:
        if not (os.path.exists(agg) and os.path.exists(junit)):
            reason = "no aggregate"
        else:
            st = sorted(c["status"] for c in json.load(open(agg))["cases"])
            reason = "" if st == ["error", "ok", "ok"] else "statuses %s" % st
    record("package faults", "suite with one faulting package", reason)


def attack_constructors():
    cases = [
        ("exit_group(0)", "sc(231, 0, 0, 0);", (4,)),
        ("exit_group(3)", "sc(231, 3, 0, 0);", (4,)),
        ("segv", "*(volatile int*)8 = 0;", (4,)),
        ("loop", "for (;;) __asm__ volatile(\"\");", (4,)),
        ("forged verdict on stdout", "sc(1, 1, (long)forged, sizeof forged - 1);", (0, 1)),
        ("forged verdict on stderr", "sc(1, 2, (long)forged, sizeof forged - 1);", (0, 1)),
        ("SIGKILL to attncheck", "sc(62, sc(110, 0, 0, 0), 9, 0);", (0, 1)),
        ("SIGTERM to attncheck", "sc(62, sc(110, 0, 0, 0), 15, 0);", (0, 1)),
        ("SIGKILL to its process group", "sc(62, 0, 9, 0);", (0, 1)),
        ("MXCSR round toward zero", "unsigned m = 0x7f80u; __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(m));", (2,)),
    ]
    for name, ctor, allowed in cases:
        pkg = package("", SYSCALL + "\n__attribute__((constructor)) static void ctor(void) { " + ctor + " }")
        for cmd in ("run", "kernels --details"):
            if cmd == "run":
                rc, out, err, wrote = host_run(pkg, ["--kernel-timeout", "2"])
            else:
                rc, out, err = run(["kernels", "--details", pkg, "--kernel-timeout", "2"], env=ENV)
                allowed = (0,)
            reason = ""
            if rc == "timeout" or rc not in allowed:
                reason = "exit %s (expected %s): %s" % (rc, allowed, err.strip()[:200])
            elif "FORGED" in out or "FORGED" in err:
                reason = "the constructor's output reached attncheck's"
            elif rc in (2, 4) and len([l for l in err.split("\n") if l]) != 1:
                reason = "not one line: " + err[:200]
            record("constructors", "%s (%s)" % (name, cmd), reason)


def attack_package_cache():
    global ENV
    saved = ENV
    pkg = package()
    for name in ("swapped library", "truncated library", "empty record", "garbage record", "wrong hash in record",
                 "empty entries header", "missing record"):
        ENV, cache = private_cache()
        rc, _, err, _ = host_run(pkg)
        kdir = os.path.join(cache, "kernels")
        libs = [f for f in os.listdir(kdir) if f.endswith(".so")] if rc in (0, 1) else []
        if not libs:
            record("package cache", name, "first build failed: %s" % err.strip()[:200])
            continue
        lib = os.path.join(kdir, libs[0])
        rec = lib[:-3] + ".json"
        good = open(lib, "rb").read()
        if name == "swapped library":
            other = package("out[1] = 2;")
            host_run(other)
            so = [f for f in os.listdir(kdir) if f.endswith(".so") and f != libs[0]]
            shutil.copy(os.path.join(kdir, so[0]), lib)
        elif name == "truncated library":
            open(lib, "wb").write(good[:100])
        elif name == "empty record":
            open(rec, "w").close()
        elif name == "garbage record":
            open(rec, "w").write("{\"sha256\": [")
        elif name == "wrong hash in record":
            json.dump({"sha256": "0" * 64, "warnings": []}, open(rec, "w"))
        elif name == "empty entries header":
            for f in os.listdir(kdir):
                if f.startswith("entries-"):
                    open(os.path.join(kdir, f), "w").close()
        elif name == "missing record":
            os.unlink(rec)
        report = os.path.join(TMP, "pkg-report.json")
        rc, _, err, wrote = host_run(pkg)
        reason = ordinary(rc, err, (0, 1))
        if not reason:
            build = json.load(open(report))["backend"]["build"]
            if name != "empty entries header" and build["cached"]:
                reason = "the altered entry was used (cached: true)"
            elif open(lib, "rb").read() != good:
                reason = "the entry was not rebuilt"
        record("package cache", name, reason)
    # Directories it must not trust, and no shared fallback.
    ENV, cache = private_cache()
    os.chmod(cache, 0o777)
    rc, _, err, _ = host_run(pkg)
    record("package cache", "cache dir mode 0777", ordinary(rc, err, (2,)) or ("" if "mode 0777" in err else err))
    ENV, cache = private_cache()
    os.makedirs(os.path.join(cache, "kernels"))
    os.chmod(os.path.join(cache, "kernels"), 0o755)
    rc, _, err, _ = host_run(pkg)
    record("package cache", "kernels dir mode 0755", ordinary(rc, err, (2,)) or ("" if "mode 0755" in err else err))
    if os.geteuid() == 0:
        ENV, cache = private_cache()
        os.chown(cache, 65534, 65534)
        rc, _, err, _ = host_run(pkg)
        record("package cache", "cache dir of another user", ordinary(rc, err, (2,)) or ("" if "not to you" in err else err))
    tmpdir = tempfile.mkdtemp(prefix="tmpdir-", dir=TMP)
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "ATTNCHECK_CACHE_DIR")}
    env["TMPDIR"] = tmpdir
    rc, _, err, wrote = host_run(pkg, env=env)
    reason = ordinary(rc, err, (0, 1))
    if not reason and not json.load(open(os.path.join(TMP, "pkg-report.json")))["backend"]["build"]["library"].startswith(tmpdir):
        reason = "built outside TMPDIR"
    record("package cache", "HOME unset: private build dir under TMPDIR", reason)
    ENV = saved


def attack_compile_bounds():
    fifo = os.path.join(TMP, "include.fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    cases = [
        ("#include a FIFO", "", "#include \"%s\"" % fifo, {}, "is a FIFO"),
        ("#include <FIFO>", "", "#include <%s>" % fifo, {}, "is a FIFO"),
        ("#include /dev/zero", "", "#include \"/dev/zero\"", {}, "character device"),
        ("#include /dev/urandom", "", "#include \"/dev/urandom\"", {}, "character device"),
        ("#include /dev/null", "", "#include \"/dev/null\"", {}, "character device"),
        ("#include a directory", "", "#include \"/etc\"", {}, ""),
        ("FIFO behind a macro", "", "#define F \"%s\"\n#include F" % fifo, {"ATTNCHECK_COMPILE_TIMEOUT": "3"}, "ATTNCHECK_COMPILE_TIMEOUT"),
        ("2^16 errors", "E4", "#define E0 u_ndef++;\n#define E1 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0\n"
         "#define E2 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1\n#define E3 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2\n"
         "#define E4 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3\n", {}, "u_ndef"),
        ("#error", "", "#error stop here", {}, "stop here"),
        ("header in a loop", "", "#include \"k.c\"", {}, ""),
    ]
    for name, body, top, env_extra, must in cases:
        env = dict(ENV, **env_extra)
        t0 = time.time()
        rc, _, err, _ = host_run(package(body, top), env=env, timeout=60)
        reason = ordinary(rc, err, (2,))
        if not reason and must and must not in err:
            reason = "message lacks %r: %s" % (must, err.strip()[:200])
        if not reason and time.time() - t0 > 30:
            reason = "took %.0f s" % (time.time() - t0)
        record("compile bounds", name, reason)
    for name, make in (("source is a FIFO", lambda p: os.mkfifo(p)), ("source is a directory", lambda p: os.mkdir(p))):
        d = package(edit=lambda j: j.__setitem__("sources", ["k.c", "x.c"]))
        make(os.path.join(d, "x.c"))
        rc, _, err, _ = host_run(d)
        record("compile bounds", name, ordinary(rc, err, (2,)) or ("" if "x.c is not a file" in err else err.strip()[:200]))


def attack_dialect():
    for src in ("/etc/passwd", "/bin/true", "lib.so", "x.s", "x.o", "x.h", "k.C", "k.c.so"):
        d = package(edit=lambda j: j.__setitem__("sources", ["k.c", src]), files={"x.s": ".text\n", "x.h": ""})
        rc, _, err, _ = host_run(d)
        record("dialect bypass", "source " + src, ordinary(rc, err, (2,)) or ("" if "is not a .c file" in err else err.strip()[:200]))
    fp = "__attribute__((noinline)) static int half(int x) { volatile float f = (float)x * 0.5f; return (int)f; }\n"
    cases = [
        ("pragma target sse2", "#pragma GCC target(\"sse2\")\n" + fp),
        ("attribute target sse2", "__attribute__((target(\"sse2\")))\n" + fp),
        ("attribute target avx2", "__attribute__((target(\"avx2\")))\n" + fp),
        ("push_options target sse4.2", "#pragma GCC push_options\n#pragma GCC target(\"sse4.2\")\n" + fp + "#pragma GCC pop_options\n"),
        ("optimize pragma", "#pragma GCC optimize(\"O3\")\n#pragma GCC target(\"sse2\")\n" + fp),
    ]
    for name, top in cases:
        rc, _, err, _ = host_run(package("out[0] = (int8_t)half(qkv[0]);", top))
        record("dialect bypass", name, ordinary(rc, err, (2,)) or ("" if "floating point" in err else err.strip()[:200]))
    asm = [("movq to %xmm0", "__asm__ volatile(\"movq %%rax, %%xmm0\" ::: \"xmm0\");"),
           ("x87 fld1", "__asm__ volatile(\"fld1; fstp %%st(0)\" :::);"),
           ("ldmxcsr", "unsigned m = 0x1f80u; __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(m));"),
           ("64-bit divide", "volatile int64_t a = (int64_t)qkv[0] << 40, b = qkv[1] | 1; out[0] = (int8_t)(a / b);"),
           ("libc puts", "extern int puts(const char*); puts(\"x\");"),
           ("float literal", "volatile float f = 1.5f; out[0] = (int8_t)f;")]
    for name, body in asm:
        rc, _, err, _ = host_run(package(body))
        record("dialect bypass", name, ordinary(rc, err, (2,)))


def attack_small_oob():
    cases = []
    for k in list(range(16)) + [64, 100, 4095]:
        cases.append(("out[4096 + %d] = 1" % k, "out[4096 + %d] = 1;" % k, "past the end of args[1] (output, 4096 B)"))
    for k in (1, 2, 8, 16, 100):
        cases.append(("out[-%d] = 1" % k, "out[-%d] = 1;" % k, "before the start of args[1] (output, 4096 B)"))
    for k in (0, 1, 7, 15):
        cases.append(("read qkv[12288 + %d]" % k, "out[0] = qkv[12288 + %d];" % k, "past the end of args[0] (input q,k,v, 12288 B)"))
    cases.append(("8-byte store past the end", "*(volatile int64_t*)(out + 4092) = 0;", "past the end of args[1]"))
    for name, body, must in cases:
        rc, out, err, wrote = host_run(package(body))
        record("small out-of-bounds", name, fault_held(rc, out, err, wrote, [must]))


def attack_host_speed():
    """1,000 host cases of a package within 3x the same suite on the built-in revision (issue 26.8)."""
    n_cases = n(1000)
    pkg = package()
    times = {}
    for name, rev in (("builtin", "uc-int32-lut"), ("package", pkg)):
        suite = os.path.join(TMP, "speed-%s.suite.json" % name)
        json.dump({"fixtures": [os.path.abspath(SEED42)] * n_cases, "revisions": [rev], "backends": ["host"]}, open(suite, "w"))
        t0 = time.time()
        rc, _, err = run(["suite", suite, "-j", "2", "--json", os.path.join(TMP, "speed-%s.json" % name)], timeout=600, env=ENV)
        times[name] = (time.time() - t0, rc, err)
    reason = ordinary(times["builtin"][1], times["builtin"][2], (0, 1)) or ordinary(times["package"][1], times["package"][2], (0, 1))
    ratio = times["package"][0] / max(times["builtin"][0], 1e-3)
    print("host speed: %d cases: built-in %.2f s, package %.2f s, ratio %.2f" % (n_cases, times["builtin"][0], times["package"][0], ratio))
    if not reason and ratio > 3:
        reason = "ratio %.2f" % ratio
    record("host speed", "%d cases, package within 3x of built-in" % n_cases, reason)


# --- the simulator (issue 26.7): bounded memory, signals, sizes, ranges, designs against their ELF --
# movxm p0, #0x70400; movxm r1, #1; L: j L; five delay slots of `st r1, [p0, #0]` (encoded from
# llvm-aie's formats by sim/tests/encode.hpp): a store into the first input buffer in five of every
# six bundles, forever, and never a lock, so no transfer ever moves.
STORE_LOOP = bytes.fromhex("550068000700" "550280000000" "950000060000" + "19820208" * 5)
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
GELU = os.path.join(SHARED, "aie2", "gelu-512-2025-11-03")


def core_elf(symbols, data=()):
    """An AIE2 ELF32 (e_machine 0x108): .text = STORE_LOOP at 0, `data` sections (name, addr, bytes)
    loaded by their own program headers, and `symbols` (name, value, size, type 0/2) in .symtab."""
    nseg = 1 + len(data)
    out = bytearray(52 + 32 * nseg)
    shstr, strs = bytearray(b"\0"), bytearray(b"\0")

    def name_in(table, n):
        at = len(table)
        table += n.encode() + b"\0"
        return at

    def place(b):
        while len(out) % 16:
            out.append(0)
        at = len(out)
        out.extend(b)
        return at

    secs = [(0, 0, 0, 0, 0, 0, 0, 0, 0)]
    text_off = place(STORE_LOOP)
    secs.append((name_in(shstr, ".text"), 1, 6, 0, text_off, len(STORE_LOOP), 0, 0, 0))
    data_off = []
    for n, addr, size in data:
        data_off.append(place(b"\x5a" * size))
        secs.append((name_in(shstr, n), 1, 3, addr, data_off[-1], size, 0, 0, 0))
    symtab = bytearray(16)
    for n, value, size, typ in symbols:
        symtab += struct.pack("<IIIBBH", name_in(strs, n), value, size, 0x10 | typ, 0, 1 if typ == 2 else 0xFFF1)
    idx = len(secs)
    names = [name_in(shstr, x) for x in (".symtab", ".strtab", ".shstrtab")]
    secs.append((names[0], 2, 0, 0, place(symtab), len(symtab), idx + 1, 1, 16))
    secs.append((names[1], 3, 0, 0, place(strs), len(strs), 0, 0, 0))
    secs.append((names[2], 3, 0, 0, place(shstr), len(shstr), 0, 0, 0))
    shoff = place(b"")
    for s in secs:
        out += struct.pack("<10I", s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], 4, s[8])
    # e_flags 2: EF_AIE_AIE2, as Peano writes it.
    out[0:52] = struct.pack("<4sBBB9xHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 2, 0x108, 1, 0, 52, shoff, 2, 52, 32, nseg, 40,
                            len(secs), len(secs) - 1)
    phdrs = [(text_off, 0, len(STORE_LOOP), 5)] + [(o, d[1], d[2], 6) for o, d in zip(data_off, data)]
    for i, (off, addr, size, flags) in enumerate(phdrs):
        out[52 + 32 * i:52 + 32 * (i + 1)] = struct.pack("<8I", 1, off, addr, addr, size, size, flags, 16)
    return bytes(out)


def loop_design(in_bytes=512, out_bytes=512, stack_size=None, extra_locks="", moves=None):
    """A placed single-core design: of_in (two buffers from 0x70400) in, of_out (two after them) out."""
    at = {"of_in_cons_buff_0": 0x400, "of_in_cons_buff_1": 0x400 + in_bytes, "of_out_buff_0": 0x400 + 2 * in_bytes,
          "of_out_buff_1": 0x400 + 2 * in_bytes + out_bytes}
    at.update(moves or {})
    size = {"of_in_cons_buff_0": in_bytes, "of_in_cons_buff_1": in_bytes, "of_out_buff_0": out_bytes, "of_out_buff_1": out_bytes}
    bufs = "".join('    %%%s = aie.buffer(%%tile_0_2) {address = %d : i32, sym_name = "%s"} : memref<%dxi8>\n' % (n, a, n, size[n])
                   for n, a in at.items())

    def bd(acq, b, n, i, nxt, rel, to):
        return ("      aie.use_lock(%%%s, AcquireGreaterEqual, 1)\n      aie.dma_bd(%%%s : memref<%dxi8>, 0, %d) {bd_id = %d : i32, "
                "next_bd_id = %d : i32}\n      aie.use_lock(%%%s, Release, 1)\n      aie.next_bd ^%s\n" % (acq, b, n, n, i, nxt, rel, to))
    attrs = 'link_with = "loop.o"' + (", stack_size = %d : i32" % stack_size if stack_size is not None else "")
    return ("module @bounds {\n  aie.device(npu1) {\n    %tile_0_0 = aie.tile(0, 0)\n    %tile_0_2 = aie.tile(0, 2)\n" + bufs +
            '    %in_prod = aie.lock(%tile_0_2, 0) {init = 2 : i32, sym_name = "in_prod"}\n'
            '    %in_cons = aie.lock(%tile_0_2, 1) {init = 0 : i32, sym_name = "in_cons"}\n'
            '    %out_prod = aie.lock(%tile_0_2, 2) {init = 2 : i32, sym_name = "out_prod"}\n'
            '    %out_cons = aie.lock(%tile_0_2, 3) {init = 0 : i32, sym_name = "out_cons"}\n' + extra_locks +
            "    %core_0_2 = aie.core(%tile_0_2) {\n      aie.end\n    } {" + attrs + "}\n"
            "    %mem_0_2 = aie.mem(%tile_0_2) {\n      %0 = aie.dma_start(S2MM, 0, ^bb1, ^bb3)\n    ^bb1:\n" +
            bd("in_prod", "of_in_cons_buff_0", in_bytes, 0, 1, "in_cons", "bb2") + "    ^bb2:\n" +
            bd("in_prod", "of_in_cons_buff_1", in_bytes, 1, 0, "in_cons", "bb1") +
            "    ^bb3:\n      %1 = aie.dma_start(MM2S, 0, ^bb4, ^bb6)\n    ^bb4:\n" +
            bd("out_cons", "of_out_buff_0", out_bytes, 2, 3, "out_prod", "bb5") + "    ^bb5:\n" +
            bd("out_cons", "of_out_buff_1", out_bytes, 3, 2, "out_prod", "bb4") + "    ^bb6:\n      aie.end\n    }\n  }\n}\n")


def loop_symbols(in_bytes=512, out_bytes=512):
    return [("store_loop", 0, len(STORE_LOOP), 2), ("_sp_start_value_DM_stack", 0x70000, 0, 0),
            ("of_in_cons_buff_0", 0x70400, 0, 0), ("of_in_cons_buff_1", 0x70400 + in_bytes, 0, 0),
            ("of_out_buff_0", 0x70400 + 2 * in_bytes, 0, 0), ("of_out_buff_1", 0x70400 + 2 * in_bytes + out_bytes, 0, 0)]


def run_rss(args, timeout=60):
    """(exit code or 'timeout', stdout, stderr, peak RSS in MiB of that process alone, from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([EXE] + args, stdout=out, stderr=err)
        t0, status, usage = time.time(), None, None
        while True:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                status, usage = st, ru
                break
            if time.time() - t0 > timeout:
                p.kill()
                os.wait4(p.pid, 0)
                break
            time.sleep(0.01)
        p.returncode = 0  # reaped here, not by subprocess
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        if status is None:
            return "timeout", o, e, 0.0
        rc = os.waitstatus_to_exitcode(status)
        return rc, o, e, usage.ru_maxrss / 1024.0


def sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def attack_simulator():
    d = os.path.join(TMP, "sim")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    f = lambda n: os.path.join(d, n)
    open(f("loop.elf"), "wb").write(core_elf(loop_symbols()))
    open(f("loop.mlir"), "w").write(loop_design())
    open(f("in.bin"), "wb").write(b"\0" * 512)
    loop = ["sim", "--elf", f("loop.elf"), "--design", f("loop.mlir"), "--input", "of_in=" + f("in.bin")]

    def refused(rc, err, must=(), allowed=(2,)):
        reason = ordinary(rc, err, allowed)
        for m in must:
            if not reason and m not in err:
                reason = "message lacks %r: %s" % (m, err.strip()[:300])
        return reason

    # Bounded memory: a store per bundle for 10^6..10^8 bundles keeps the same few MiB.
    rss = {}
    for bundles in (10 ** 6, 10 ** 7, 10 ** 8):
        rc, _, err, mib = run_rss(loop + ["--sim-max-cycles", str(bundles), "--json", f("r.json")], timeout=120)
        reason = refused(rc, err, ["no transfer moved in %d bundles" % bundles])
        rss[bundles] = mib
        if not reason and mib > 200:
            reason = "peak RSS %.0f MiB" % mib
        if not reason and bundles > 10 ** 6 and mib - rss[10 ** 6] > 4:
            reason = "peak RSS grew from %.1f to %.1f MiB" % (rss[10 ** 6], mib)
        if not reason and os.path.exists(f("r.json")):
            reason = "a report was written"
        record("sim bounded memory", "store loop for %d bundles (%.1f MiB)" % (bundles, mib), reason)

    # --sim-max-cycles in every simulator path: out of range is one line, never a wrap or the default.
    gelu_ok = os.path.exists(os.path.join(GELU, "main.pdi"))
    paths = {"sim": loop,
             "run --backend sim": ["run", "--kernel", "uc-int32-lut", "--fixture", SEED42, "--backend", "sim", "--elf", f("loop.elf"),
                                   "--design", f("loop.mlir")]}
    if gelu_ok:
        paths["sim --insts"] = ["sim", "--pdi", os.path.join(GELU, "main.pdi"), "--insts", os.path.join(GELU, "npu_insts.mlir"),
                                "--arg", "3=" + f("in.bin"), "--arg", "4=" + f("o.bin")]
    for name, base in paths.items():
        for v in ("0", "-1", "18446744073709551615", "1000000000000001", "99999999999999999999", "1e9", "0x10", "+5", "5 "):
            rc, _, err = run(base + ["--sim-max-cycles", v], timeout=30)
            record("sim cycle limits", "%s --sim-max-cycles %r" % (name, v), refused(rc, err, ["--sim-max-cycles"]))
    for v in ("1", "1000"):
        rc, _, err = run(loop + ["--sim-max-cycles", v], timeout=30)
        record("sim cycle limits", "sim --sim-max-cycles %s stops there" % v, refused(rc, err, ["no transfer moved in %s bundles" % v]))

    # SIGINT/SIGTERM at random moments of a core that would run for weeks: 128 + signal, nothing written.
    open(f("big.elf"), "wb").write(core_elf(loop_symbols(12288, 4096)))
    open(f("big.mlir"), "w").write(loop_design(12288, 4096))
    open(f("qkv.bin"), "wb").write(b"\0" * 12288)
    for i in range(n(12)):
        sig = RNG.choice([signal.SIGINT, signal.SIGTERM])
        delay = RNG.uniform(0.05, 1.0)
        outs = [f("s.json"), f("s.out"), f("r.json")]
        for o in outs:
            if os.path.exists(o):
                os.unlink(o)
        cmd = RNG.choice([["sim", "--elf", f("big.elf"), "--design", f("big.mlir"), "--input", "of_in=" + f("qkv.bin"), "--output",
                           "of_out=" + f("s.out"), "--json", f("s.json"), "--sim-max-cycles", "1000000000000000"],
                          ["run", "--kernel", "uc-int32-lut", "--fixture", SEED42, "--backend", "sim", "--elf", f("big.elf"), "--design",
                           f("big.mlir"), "--json", f("r.json"), "--sim-max-cycles", "1000000000000000"]])
        rc, err, stopped_in = interrupt(cmd, sig, delay, timeout=10)
        reason = ordinary(rc, err, (128 + sig,)) if rc != -sig else ""
        if not reason and rc == 128 + sig and "no report or output written" not in err:
            reason = "not the interruption's line: " + err.strip()[:200]
        if not reason and stopped_in > 3:
            reason = "took %.1f s to stop" % stopped_in
        if not reason and any(os.path.exists(o) for o in outs):
            reason = "an output was written"
        leftovers = [x for x in os.listdir(d) if ".tmp." in x]
        if not reason and leftovers:
            reason = "temporary files left: " + ", ".join(leftovers)
        record("sim signals", "%s after %.2f s during %s" % (signal.Signals(sig).name, delay, cmd[0]), reason)

    # Files sized before they are read: 1.5 GB (sparse) in every role is one line and a few MiB.
    big = 1536 << 20
    design = os.path.join(GELU, "input_physical_with_elfs.mlir") if gelu_ok else f("loop.mlir")
    elf = os.path.join(GELU, "main_core_0_2.elf") if gelu_ok else f("loop.elf")
    fifo = "of_input" if gelu_ok else "of_in"
    cases = [("--elf", ["sim", "--elf", sparse(f("big1.elf"), big), "--design", design, "--input", fifo + "=" + f("in.bin")], "core ELF"),
             ("--pdi", ["sim", "--pdi", sparse(f("big.pdi"), big), "--design", design, "--input", fifo + "=" + f("in.bin")], "PDI"),
             ("--xclbin", ["sim", "--xclbin", sparse(f("big.xclbin"), big), "--design", design, "--input", fifo + "=" + f("in.bin")], "xclbin"),
             ("--design", ["sim", "--elf", elf, "--design", sparse(f("big1.mlir"), big), "--input", fifo + "=" + f("in.bin")], "placed design"),
             ("--input with --iterations", ["sim", "--elf", elf, "--design", design, "--input", fifo + "=" + sparse(f("big.bin"), big),
                                            "--iterations", "3"], "--iterations 3"),
             ("--input of no whole transfer", ["sim", "--elf", elf, "--design", design, "--input", fifo + "=" + sparse(f("odd.bin"), big + 1)],
              "not a whole number"),
             ("--pdi of --insts", ["sim", "--pdi", sparse(f("big2.pdi"), big), "--insts", f("none.txt"), "--arg", "3=" + f("in.bin")], "PDI"),
             ("xclbin wrap --pdi", ["xclbin", "wrap", "--pdi", sparse(f("big3.pdi"), big), "--out", f("w.xclbin")], "PDI"),
             ("elf inspect", ["elf", "inspect", sparse(f("big4.elf"), big)], "core ELF"),
             ("elf disasm", ["elf", "disasm", f("big4.elf")], "core ELF")]
    if gelu_ok:
        cases += [("--insts", ["sim", "--pdi", os.path.join(GELU, "main.pdi"), "--insts", sparse(f("big.insts"), big), "--arg",
                               "3=" + f("in.bin")], "instruction stream"),
                  ("--arg", ["sim", "--pdi", os.path.join(GELU, "main.pdi"), "--insts", os.path.join(GELU, "npu_insts.mlir"), "--arg",
                             "3=" + sparse(f("big.arg"), big), "--arg", "4=" + f("o.bin")], "kernel argument"),
                  ("insts dump", ["insts", "dump", f("big.insts")], "instruction stream")]
    for name, args, must in cases:
        t0 = time.time()
        rc, _, err, mib = run_rss(args, timeout=60)
        reason = refused(rc, err, [must, "1610612"])
        if not reason and mib > 100:
            reason = "peak RSS %.0f MiB: read before refused" % mib
        if not reason and time.time() - t0 > 5:
            reason = "took %.1f s" % (time.time() - t0)
        record("sim file sizes", "1.5 GB " + name, reason)
    for x in os.listdir(d):
        if x.startswith("big") or x.startswith("odd"):
            os.unlink(os.path.join(d, x))

    # --iterations far past memory: refused before the run, quickly, in a few MiB.
    sim_one = ["sim", "--elf", elf, "--design", design, "--input", fifo + "=" + f("in.bin"), "--output",
               ("of_output" if gelu_ok else "of_out") + "=" + f("o.bin")]
    for v in ("100000000", "1000000000000", "18446744073709551615", "99999999999999999999999"):
        if os.path.exists(f("o.bin")):
            os.unlink(f("o.bin"))
        t0 = time.time()
        rc, _, err, mib = run_rss(sim_one + ["--iterations", v], timeout=60)
        reason = refused(rc, err, ["--iterations"])
        if not reason and (mib > 100 or time.time() - t0 > 5):
            reason = "%.0f MiB, %.1f s before the refusal" % (mib, time.time() - t0)
        if not reason and os.path.exists(f("o.bin")):
            reason = "an output was written"
        record("sim iterations", "--iterations " + v, reason)

    # Designs that contradict their ELF or themselves: one line naming both sides, before any bundle.
    def design_case(name, text, elf_bytes=None, extra=(), must=()):
        open(f("case.mlir"), "w").write(text)
        open(f("case.elf"), "wb").write(elf_bytes or core_elf(loop_symbols()))
        t0 = time.time()
        rc, _, err = run(["sim", "--elf", f("case.elf"), "--design", f("case.mlir"), "--input", "of_in=" + f("in.bin"), "--json",
                          f("case.json"), "--sim-max-cycles", "100000"] + list(extra), timeout=30)
        reason = refused(rc, err, must)
        if not reason and "no transfer moved" in err:
            reason = "the design ran: " + err.strip()[:200]
        if not reason and time.time() - t0 > 5:
            reason = "took %.1f s" % (time.time() - t0)
        record("sim designs against their ELF", name, reason)

    for buf, to in (("of_in_cons_buff_1", 0x500), ("of_out_buff_0", 0x7F0), ("of_out_buff_1", 0x400), ("of_in_cons_buff_0", 0x600),
                    ("of_out_buff_1", 0x900)):
        other = {0x500: "of_in_cons_buff_0", 0x7F0: "of_in_cons_buff_1", 0x400: "of_in_cons_buff_0", 0x600: "of_in_cons_buff_1",
                 0x900: "of_out_buff_0"}[to]
        design_case("%s moved onto %s" % (buf, other), loop_design(moves={buf: to}), must=[buf, other, "overlaps"])
    syms = loop_symbols()
    for i, (n_, v, s, t) in enumerate(syms):
        if not n_.startswith("of_"):
            continue
        shifted = syms[:i] + [(n_, v + 0x40, s, t)] + syms[i + 1:]
        design_case("symbol %s at another address" % n_, loop_design(), core_elf(shifted), must=[n_, "defines it at"])
        sized = syms[:i] + [(n_, v, 100, t)] + syms[i + 1:]
        design_case("symbol %s of another size" % n_, loop_design(), core_elf(sized), must=[n_, "(100 B)"])
        missing = syms[:i] + syms[i + 1:]
        design_case("symbol %s missing" % n_, loop_design(), core_elf(missing), must=[n_, "does not define"])
    for addr, size, buf in ((0x70400, 16, "of_in_cons_buff_0"), (0x705F0, 64, "of_in_cons_buff_0"), (0x70BF0, 0x20, "of_out_buff_1"),
                            (0x70000, 0x2000, "of_in_cons_buff_0")):
        for sec in (".data", ".bss", ".rodata"):
            design_case("%s at 0x%X (%d B) over %s" % (sec, addr, size, buf), loop_design(),
                        core_elf(loop_symbols(), [(sec, addr, size)]), must=[sec, buf])
    for size in (0x401, 0x800, 0x4000, 0x10000):
        design_case("stack_size %d over the buffers" % size, loop_design(stack_size=size), must=["stack_size %d" % size, "of_in_cons_buff_0"])
    for at in ("0x70400", "0x705FC", "0x70A00", "0x70BFF"):
        design_case("--sim-stack-at %s inside a buffer" % at, loop_design(), extra=["--sim-stack-at", at], must=["--sim-stack-at", "inside"])
    for count in (2, 1000, 100000):
        locks = "".join("    %%x%d = aie.lock(%%tile_0_2, 7) {init = 1 : i32}\n" % k for k in range(count))
        design_case("%d locks on one id" % count, loop_design(extra_locks=locks), must=["x1", "x0", "has id 7"])
    for lid in (16, 63):
        design_case("lock id %d on a compute tile" % lid, loop_design(extra_locks="    %%y = aie.lock(%%tile_0_2, %d)\n" % lid),
                    must=["has id %d" % lid, "16 locks"])
    design_case("a lock reusing the input's id", loop_design(extra_locks='    %z = aie.lock(%tile_0_2, 1) {init = 5 : i32}\n'),
                must=["z", "in_cons", "has id 1"])

    # Seeded mutations of the design's numbers: whatever they make, the run ends by itself, bounded.
    base = loop_design()
    nums = [m for m in re.finditer(r"\d+", base)]
    for i in range(n(40)):
        text = base
        for m in sorted(RNG.sample(nums, RNG.randint(1, 3)), key=lambda m: -m.start()):
            text = text[:m.start()] + str(RNG.choice([0, 1, 2, 3, 15, 16, 63, 64, 0x3FF, 0x400, 0x600, 0xFFFF, 0x10000, 2 ** 31,
                                                      RNG.randrange(0, 70000)])) + text[m.end():]
        open(f("mut.mlir"), "w").write(text)
        rc, _, err, mib = run_rss(["sim", "--elf", f("loop.elf"), "--design", f("mut.mlir"), "--input", "of_in=" + f("in.bin"),
                                   "--sim-max-cycles", "200000"], timeout=30)
        reason = ordinary(rc, err, (0, 2))
        if not reason and mib > 200:
            reason = "peak RSS %.0f MiB" % mib
        record("sim design mutations", "mutation %d" % i, reason)


def attack_packages():
    global ENV, CACHE
    ENV, CACHE = private_cache()
    for attack in (attack_package_faults, attack_constructors, attack_package_cache, attack_compile_bounds, attack_dialect,
                   attack_small_oob, attack_host_speed):
        attack()


def main():
    seconds = {}  # where the test's time goes (it is one of CI's longest)
    try:
        only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
        for attack in (attack_npy, attack_special_files, attack_json, attack_outputs, attack_signals, attack_memory, attack_injection,
                       attack_packages, attack_simulator):
            if only is None or attack.__name__[len("attack_"):] in only:
                start = time.monotonic()
                attack()
                seconds[attack.__name__[len("attack_"):]] = time.monotonic() - start
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("seconds: " + ", ".join("%s %.1f" % kv for kv in seconds.items()))
    total_t = total_p = 0
    for cls, (tried, passed) in RESULTS.items():
        print("%-26s tried %5d  passed %5d" % (cls, tried, passed))
        total_t += tried
        total_p += passed
    print("%-26s tried %5d  passed %5d" % ("all", total_t, total_p))
    for f in FAILURES[:40]:
        print("FAIL " + f)
    return 0 if not FAILURES else 1


if __name__ == "__main__":
    sys.exit(main())
