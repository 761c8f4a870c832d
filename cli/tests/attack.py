#!/usr/bin/python3
"""Re-runs issue 17's systematic attack on the attncheck binary and prints tried / passed per class.

Usage: attack.py ATTNCHECK_EXE SEED42_FIXTURE_DIR [--scale F] [--seed N]
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
        p = subprocess.Popen([EXE] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=30)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            rc, err = "timeout", b""
        err = err.decode("utf-8", "replace")
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
    for kib in (24000, 30000, 40000, 60000, 100000):
        for cmd in cmds:
            sh = "ulimit -v %d && exec %s %s" % (kib, EXE, " ".join(cmd))
            try:
                p = subprocess.run(["/bin/sh", "-c", sh], capture_output=True, timeout=60)
                rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = "timeout", ""
            reason = ordinary(rc, err, (0, 1, 2))
            if not reason and "terminate called" in err:
                reason = "aborted"
            record("memory limits", "ulimit -v %d %s" % (kib, cmd[0]), reason)
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


def main():
    try:
        for attack in (attack_npy, attack_special_files, attack_json, attack_outputs, attack_signals, attack_memory, attack_injection):
            attack()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
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
