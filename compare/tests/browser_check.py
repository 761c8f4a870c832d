#!/usr/bin/python3
# The HTML validation report in headless Chromium: no console errors, plots with size, a screenshot kept (ctest html_report_browser).
"""Usage: browser_check.py ATTNCHECK FIXTURE OUTDIR [REPORT_SINK]

Makes reports with ATTNCHECK on FIXTURE (runs with --keep-outputs and gates), renders them with
`attncheck report --html`, then opens the page in Debian's chromium (headless). A copy of the page
with a probe script first in <head> records every error event, console.error call and fetched
resource, and the on-screen size of each <svg class="plot">; --dump-dom hands that back. Chromium's
own log (--enable-logging=stderr) must carry no CONSOLE line either. The unmodified page is then
screenshotted to OUTDIR/report.png. Before trusting any of it, the same checks must reject a broken
page (a throwing script, a zero-size plot), so a checker that sees nothing fails.

Exit 0 when all holds, 1 otherwise (one line per problem).
"""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

PROBE = """<script>
window.__probe = {errors: []};
window.addEventListener('error', function (e) {
  var what = e.message || (e.target && (e.target.src || e.target.href)) || 'resource failed';
  window.__probe.errors.push('error: ' + what);
}, true);
window.addEventListener('unhandledrejection', function (e) { window.__probe.errors.push('rejection: ' + e.reason); });
var origError = console.error;
console.error = function () {
  window.__probe.errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
  return origError.apply(console, arguments);
};
window.addEventListener('load', function () {
  var plots = Array.prototype.map.call(document.querySelectorAll('svg.plot'), function (s) {
    var r = s.getBoundingClientRect();
    return {kind: s.getAttribute('data-plot'), width: r.width, height: r.height};
  });
  var resources = performance.getEntriesByType('resource').map(function (r) { return r.name; });
  var pre = document.createElement('pre');
  pre.id = 'attncheck-probe';
  pre.textContent = JSON.stringify({errors: window.__probe.errors, plots: plots, resources: resources});
  document.body.appendChild(pre);
});
</script>"""

BROKEN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head><body>
<svg class="plot" data-plot="scatter" width="0" height="0"></svg>
<script>no_such_function();</script></body></html>"""


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser(exe, profile, extra, page):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", "--window-size=1280,3000",
           "--virtual-time-budget=10000"] + extra + [pathlib.Path(page).resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def check_page(exe, workdir, page, min_plots):
    """Problems found loading `page`: errors, console lines, network fetches, missing or empty plots."""
    html = pathlib.Path(page).read_text(encoding="utf-8")
    probed = pathlib.Path(workdir) / (pathlib.Path(page).stem + ".probe.html")
    probed.write_text(re.sub(r"<head>", "<head>" + PROBE, html, count=1), encoding="utf-8")
    run = browser(exe, pathlib.Path(workdir) / "profile", ["--dump-dom"], probed)
    problems = []
    m = re.search(r'<pre id="attncheck-probe">(.*?)</pre>', run.stdout, re.S)
    if run.returncode != 0 or not m:
        return [f"{page}: chromium did not load the page (exit {run.returncode}): {run.stderr.strip()[-300:]}"]
    probe = json.loads(m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&"))
    problems += [f"{page}: {e}" for e in probe["errors"]]
    problems += [f"{page}: chromium log: {line.strip()}" for line in run.stderr.splitlines() if ":CONSOLE" in line]
    problems += [f"{page}: fetched {r} (the report must be self-contained)" for r in probe["resources"]]
    plots = probe["plots"]
    if len(plots) < min_plots:
        problems.append(f"{page}: {len(plots)} plots, expected at least {min_plots}")
    for i, p in enumerate(plots):
        if not (p["width"] > 0 and p["height"] > 0):
            problems.append(f"{page}: plot {i} ({p['kind']}) has size {p['width']}x{p['height']}")
    return problems


def attncheck(exe, *args, ok=(0,)):
    run = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)
    if run.returncode not in ok:
        raise RuntimeError(f"attncheck {' '.join(args)}: exit {run.returncode}: {run.stderr.strip()}")
    return run


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    exe, fixture, outdir = argv[1], argv[2], pathlib.Path(argv[3])
    sink = pathlib.Path(argv[4]) if len(argv) == 5 else None
    browser_exe = chromium()
    if not browser_exe:
        print("chromium not found: install it with `apt-get install -y chromium` (.ci/run does)")
        return 1
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)

    with tempfile.TemporaryDirectory(dir=outdir) as work:
        # Teeth first: a page with a throwing script and a zero-size plot must be caught.
        broken = pathlib.Path(work) / "broken.html"
        broken.write_text(BROKEN_PAGE, encoding="utf-8")
        caught = check_page(browser_exe, work, broken, 1)
        if not any("no_such_function" in p for p in caught) or not any("has size 0x0" in p for p in caught):
            print(f"self-check: the broken page was not caught (found: {caught})")
            return 1

    gates = outdir / "gates.json"
    gates.write_text(json.dumps({"min_correlation": 0.9, "max_mae": 20.0, "min_within": {"5": 0.2}}))
    lut, legacy = outdir / "lut.json", outdir / "legacy.json"
    attncheck(exe, "run", "--kernel", "uc-int32-lut", "--fixture", fixture, "--backend", "host", "--keep-outputs",
              "--gates", str(gates), "--json", str(lut))
    attncheck(exe, "run", "--kernel", "uc-legacy-int8", "--fixture", fixture, "--keep-outputs", "--gates", str(gates),
              "--json", str(legacy), ok=(1,))
    page, md = outdir / "report.html", outdir / "report.md"
    attncheck(exe, "report", str(lut), str(legacy), "--html", str(page), "--md", str(md))
    if sink is not None:
        sink.mkdir(parents=True, exist_ok=True)
        for r in (lut, legacy):
            shutil.copy(r, sink / f"browser_{r.name}")

    problems = check_page(browser_exe, outdir, page, 8)
    kinds = re.findall(r'<svg [^>]*data-plot="([a-z]+)"', page.read_text(encoding="utf-8"))
    for kind, need in (("scatter", 2), ("histogram", 2), ("heatmap", 4)):
        if kinds.count(kind) < need:
            problems.append(f"{page}: {kinds.count(kind)} {kind} plots, expected {need}")

    shot = outdir / "report.png"
    run = browser(browser_exe, outdir / "profile", [f"--screenshot={shot}"], page)
    if run.returncode != 0 or not shot.exists() or shot.stat().st_size < 1000:
        problems.append(f"{shot}: no screenshot (exit {run.returncode})")
    shutil.rmtree(outdir / "profile", ignore_errors=True)

    for p in problems:
        print(p)
    print(f"{page}: {len(kinds)} plots, {len(problems)} problems; screenshot {shot}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
