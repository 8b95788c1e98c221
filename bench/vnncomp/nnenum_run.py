#!/usr/bin/env python3
"""Runs the peer verifier nnenum on a VNN-COMP benchmark, side by side with `propc bench vnncomp`.

Takes: a benchmark's `instances.csv` (rows `onnx,vnnlib,timeout`, paths relative to the
csv's folder; an `expected_dev.csv` beside it with the header `onnx,vnnlib,expected`
gives the expected verdicts), the Python that has nnenum's dependencies
(`--nnenum-python`) and nnenum's source folder (`--nnenum-src`, the folder that holds
the `nnenum` package), and the selection (`--filter`, then `--limit`, then `--shard`),
the timeout scale and where to write. See NNENUM.md for the installation.
Gives: per instance, one `python -m nnenum.nnenum ONNX VNNLIB T RESULT_FILE PROCESSES`
subprocess (its own session, so the whole process group can be killed), with
T = timeout x scale as nnenum's own time limit; the driver kills it at T + `--grace`.
The verdict comes from nnenum's result file: `holds` -> unsat, `violated` -> sat,
`timeout` -> timeout, `error` -> error, anything else (`none`, no file) -> unknown
(error when the process failed); killed -> timeout. Seconds are the driver's wall
clock around the subprocess (Python start-up, imports and loading included).
Writes `--out` row by row with propc's results.csv columns
`instance,onnx,vnnlib,verdict,seconds,expected,method,note` (so `propc bench merge`
can read it too), a progress line per instance on stderr, and propc's per-property
table on stdout. With `--cex-dir`, each `sat` instance's counterexample (the
`Input:`/`Output:` lines nnenum prints for networks of at most 10 inputs and outputs)
is written as `DIR/INSTANCE.counterexample` in the VNN-COMP format, for `recheck.py`.
Invariant: a contradiction (sat where unsat is expected, or the reverse) is listed and
the exit code is 1; bad input exits with 2; Ctrl-C kills the running instance, prints
the summary of the finished ones and exits with 130 (SIGTERM too); else 0. Standard library only.
"""

import argparse
import ast
import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

COLUMNS = ["instance", "onnx", "vnnlib", "verdict", "seconds", "expected", "method", "note"]
VERDICTS = {"holds": "unsat", "violated": "sat", "timeout": "timeout", "error": "error"}


def fail(message, help_text):
    print(f"error: {message}\n  = help: {help_text}", file=sys.stderr)
    return 2


def key(path):
    """A path as a key: `./` and backslashes do not matter (as propc's)."""
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def stem(path):
    """The file name without its folders and its extension (`.gz` too)."""
    name = re.split(r"[/\\]", path)[-1]
    if name.endswith(".gz"):
        name = name[:-3]
    s, dot, _ = name.rpartition(".")
    return s if dot and s else name


def read_instances(path):
    """[(name, onnx, vnnlib, timeout)]; names `ONNX-STEM+VNNLIB-STEM`, `~2`... for repeats."""
    out, seen = [], {}
    with open(path, newline="") as f:
        for line, r in enumerate(csv.reader(f), start=1):
            r = [x.strip() for x in r]
            if not r or not any(r) or r[0].startswith("#"):
                continue
            if not out and r[0].lower() == "onnx":
                continue
            if len(r) != 3 or not r[0] or not r[1]:
                raise ValueError(f"`{path}` line {line}: expected 3 columns `onnx,vnnlib,timeout`")
            try:
                timeout = float(r[2])
            except ValueError:
                timeout = -1.0
            if not (timeout >= 0.0 and timeout != float("inf")):
                raise ValueError(f"`{path}` line {line}: the timeout `{r[2]}` is not a number of seconds")
            base = f"{stem(r[0])}+{stem(r[1])}"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base}~{seen[base]}"
            out.append((name, r[0], r[1], timeout))
    return out


def read_expected(path):
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r and any(x.strip() for x in r)]
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    try:
        i, j, k = header.index("onnx"), header.index("vnnlib"), header.index("expected")
    except ValueError:
        raise ValueError(f"`{path}`: the header does not name the columns `onnx`, `vnnlib` and `expected`")
    return {(key(r[i]), key(r[j])): r[k].strip().lower() for r in rows[1:]}


def select(rows, pattern, limit, shard):
    """propc's selection: TEXT contained in, or regex found in, `onnx,vnnlib` or the name."""
    if pattern is not None:
        try:
            rx = re.compile(pattern)
        except re.error:
            rx = None
        rows = [
            r for r in rows
            if any(pattern in t or (rx is not None and rx.search(t)) for t in (f"{r[1]},{r[2]}", r[0]))
        ]
    if limit is not None:
        rows = rows[:limit]
    if shard is not None:
        i, n = shard
        rows = [r for k, r in enumerate(rows) if k % n == i - 1]
    return rows


def kill_group(pid):
    """SIGTERM, then SIGKILL, to the subprocess's whole process group (nnenum's workers
    and its multiprocessing Manager)."""
    for sig, pause in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(pause)


def parse_log(text):
    """(note parts, counterexample (X, Y) or None) from nnenum's stdout."""
    notes = []
    # one `Runtime:` line per input region: `2.0 sec` below a minute, else `1.23 min (73.8 sec)`
    secs = []
    for line in re.findall(r"^Runtime: (.*)$", text, re.M):
        m = re.search(r"\(([\d.]+) sec\)", line) or re.match(r"([\d.]+) sec", line)
        if m:
            secs.append(float(m.group(1)))
    if secs:
        notes.append(f"nnenum runtime {sum(secs):.1f}s")
    if "UNSAFE with confirmed counterexample" in text:
        notes.append("confirmed counterexample")
    elif "seems UNSAFE, but not confirmed" in text:
        notes.append("UNCONFIRMED counterexample (nnenum still writes violated)")
    if "Exception occured" in text or "Traceback" in text:
        errors = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception)\b.*)$", text, re.M)
        notes.append(f"exception in nnenum: {errors[-1].strip()}" if errors else "exception in nnenum (see --log-dir)")
    cex = None
    xi = re.findall(r"^Input: (\[.*\])$", text, re.M)
    yo = re.findall(r"^Output: (\[.*\])$", text, re.M)
    if xi and yo:
        try:
            cex = ([float(v) for v in ast.literal_eval(xi[-1])], [float(v) for v in ast.literal_eval(yo[-1])])
        except (ValueError, SyntaxError):
            cex = None
    return notes, cex


def run_one(args, folder, onnx, vnnlib, t, log_path):
    """(verdict, seconds, note, counterexample)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (args.nnenum_src, env.get("PYTHONPATH")) if p)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"  # nnenum asserts single-threaded BLAS; its parallelism is PROCESSES
    env["PYTHONUNBUFFERED"] = "1"  # a killed run's log keeps its last lines
    fd, result_path = tempfile.mkstemp(prefix="nnenum-result-", suffix=".txt")
    os.close(fd)
    os.unlink(result_path)
    cmd = [args.nnenum_python, "-m", "nnenum.nnenum", os.path.join(folder, onnx), os.path.join(folder, vnnlib),
           f"{t:g}", result_path, str(args.processes)]
    if args.settings != "auto":
        cmd.append(args.settings)
    killed = False
    raw = None
    try:
        with open(log_path, "w+") as log:
            start = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, start_new_session=True)
            try:
                proc.wait(timeout=t + args.grace)
                seconds = time.monotonic() - start
            except subprocess.TimeoutExpired:
                seconds = time.monotonic() - start  # the kill's own pause does not count
                killed = True
                kill_group(proc.pid)
                proc.wait()
            except BaseException:
                kill_group(proc.pid)
                proc.wait()
                raise
            kill_group(proc.pid)  # leftovers (a Manager process) of a finished run
            log.seek(0)
            text = log.read()
        if os.path.exists(result_path):
            with open(result_path) as f:
                raw = f.read().strip()
    finally:
        if os.path.exists(result_path):
            os.unlink(result_path)
    notes, cex = parse_log(text)
    if killed:
        verdict = "timeout"
        notes.insert(0, f"killed after {t + args.grace:g}s (time limit {t:g}s + grace {args.grace:g}s)")
    elif raw is None:
        verdict = "error" if proc.returncode != 0 else "unknown"
        tail = " | ".join(line.strip() for line in text.strip().splitlines()[-2:])
        notes.insert(0, f"no result file, exit code {proc.returncode}: {tail}")
    else:
        verdict = VERDICTS.get(raw, "unknown")
        notes.insert(0, f"nnenum: {raw}")
        if verdict == "unknown" and seconds > t:
            verdict = "timeout"
    if verdict != "sat":
        cex = None
    return verdict, seconds, "; ".join(notes), cex


def write_cex(path, cex):
    xs, ys = cex
    body = "\n".join([f"(X_{i} {v!r})" for i, v in enumerate(xs)] + [f"(Y_{j} {v!r})" for j, v in enumerate(ys)])
    with open(path, "w") as f:
        f.write(f"sat\n({body})\n")


def natural(s):
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", s) if x]


def summary(results):
    """propc's per-property table (`propc bench vnncomp`), totals and contradictions."""
    props = {}
    for r in results:
        props.setdefault(stem(r["vnnlib"]), []).append(r)
    lines = [
        "| property | instances | expected sat / unsat | solved sat | solved unsat | timeout | unknown | error | solved time (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def counts(rs):
        c = {v: sum(1 for r in rs if r["verdict"] == v) for v in ("sat", "unsat", "timeout", "unknown", "error")}
        c["esat"] = sum(1 for r in rs if r["expected"] == "sat")
        c["eunsat"] = sum(1 for r in rs if r["expected"] == "unsat")
        c["solved_s"] = sum(r["seconds"] for r in rs if r["verdict"] in ("sat", "unsat"))
        c["all_s"] = sum(r["seconds"] for r in rs)
        return c

    def line(name, rs, bold):
        c = counts(rs)
        b = "**" if bold else ""
        nm = f"**{name}**" if bold else name
        return (f"| {nm} | {len(rs)} | {c['esat']} / {c['eunsat']} | {b}{c['sat']}{b} | {b}{c['unsat']}{b} "
                f"| {c['timeout']} | {c['unknown']} | {c['error']} | {c['solved_s']:.1f} |")

    for p in sorted(props, key=natural):
        lines.append(line(p, props[p], False))
    lines.append(line("total", results, True))
    t = counts(results)
    lines.append("")
    lines.append(f"solved {t['sat'] + t['unsat']} of {len(results)} ({t['sat']} sat, {t['unsat']} unsat); "
                 f"timeout {t['timeout']}, unknown {t['unknown']}, error {t['error']}")
    lines.append(f"time of the solved instances: {t['solved_s']:.1f}s; of all instances: {t['all_s']:.1f}s")
    bad = [r for r in results if {r["verdict"], r["expected"]} == {"sat", "unsat"}]
    if bad:
        lines.append(f"CONTRADICTIONS with the expected verdicts: {len(bad)} (a soundness bug)")
        for r in bad:
            lines.append(f"  {r['instance']}: nnenum says {r['verdict']}, expected {r['expected']}")
    else:
        lines.append("contradictions with the expected verdicts: 0")
    return "\n".join(lines), bool(bad)


def parse_shard(s):
    m = re.fullmatch(r"(\d+)/(\d+)", s)
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise argparse.ArgumentTypeError(f"`{s}` is not I/N with 1 <= I <= N")
    return int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", help="the benchmark's instances.csv")
    ap.add_argument("--nnenum-python", default="/tmp/nnenum-venv/bin/python",
                    help="Python with nnenum's dependencies (default: %(default)s)")
    ap.add_argument("--nnenum-src", default="/tmp/nnenum/src",
                    help="nnenum's src folder, put on PYTHONPATH (default: %(default)s)")
    ap.add_argument("--processes", type=int, default=2,
                    help="nnenum's worker processes (its 5th argument; default %(default)s, "
                         "nnenum's own default is every core)")
    ap.add_argument("--settings", default="auto", choices=["auto", "control", "image", "exact"],
                    help="nnenum's settings (6th argument); auto picks control for < 700 inputs")
    ap.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every timeout by K")
    ap.add_argument("--grace", type=float, default=10.0,
                    help="seconds past the time limit before the process group is killed (default %(default)s)")
    ap.add_argument("--filter", default=None,
                    help="run only the instances whose `onnx,vnnlib` or name contains TEXT or matches it as a regex")
    ap.add_argument("--limit", type=int, default=None, help="run at most the first N instances (after --filter)")
    ap.add_argument("--shard", type=parse_shard, default=None, help="I/N: selected instance k runs in shard k mod N + 1")
    ap.add_argument("--out", default="results.csv", help="where to write the results (default %(default)s)")
    ap.add_argument("--cex-dir", default=None, help="write each sat instance's counterexample to DIR/INSTANCE.counterexample")
    ap.add_argument("--log-dir", default=None, help="keep nnenum's output as DIR/INSTANCE.log")
    ap.add_argument("--quiet", "-q", action="store_true", help="no progress line per instance on stderr")
    args = ap.parse_args()

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM, like Ctrl-C, kills the running instance's process group (nnenum runs in
    # its own session, so it would otherwise outlive the driver)
    signal.signal(signal.SIGTERM, stop)

    if not (args.timeout_scale >= 0.0 and args.timeout_scale != float("inf")):
        return fail(f"`--timeout-scale {args.timeout_scale}` is not a non-negative number", "e.g. --timeout-scale 0.1")
    if args.processes < 1:
        return fail("`--processes` must be at least 1", "e.g. --processes 2 on a 2-core machine")
    if not os.access(args.nnenum_python, os.X_OK):
        return fail(f"`{args.nnenum_python}` is not an executable", "see NNENUM.md for the venv")
    if not os.path.exists(os.path.join(args.nnenum_src, "nnenum", "nnenum.py")):
        return fail(f"`{args.nnenum_src}` has no nnenum/nnenum.py", "give nnenum's src folder with --nnenum-src")
    args.nnenum_src = os.path.abspath(args.nnenum_src)
    folder = os.path.dirname(os.path.abspath(args.instances))
    try:
        rows = read_instances(args.instances)
        expected = read_expected(os.path.join(folder, "expected_dev.csv"))
    except (OSError, ValueError) as e:
        return fail(str(e), "instances.csv rows are `ONNX,VNNLIB,TIMEOUT`; expected_dev.csv has `onnx,vnnlib,expected`")
    total = len(rows)
    rows = select(rows, args.filter, args.limit, args.shard)
    if not rows and args.limit != 0:
        return fail(f"no instance of `{args.instances}` matches `--filter {args.filter or ''}`",
                    "the filter is looked for in `ONNX,VNNLIB` and in the name `ONNX-STEM+VNNLIB-STEM`")
    for d in (args.cex_dir, args.log_dir):
        if d:
            os.makedirs(d, exist_ok=True)
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="nnenum-logs-")

    print(f"nnenum_run {args.instances}: {len(rows)} of {total} instances, timeouts x {args.timeout_scale:g}, "
          f"{args.processes} processes", flush=True)
    results = []
    interrupted = False
    with open(args.out, "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(COLUMNS)
        out.flush()
        for k, (name, onnx, vnnlib, timeout) in enumerate(rows, start=1):
            t = timeout * args.timeout_scale
            log_path = os.path.join(log_dir, f"{name}.log")
            try:
                verdict, seconds, note, cex = run_one(args, folder, onnx, vnnlib, t, log_path)
            except KeyboardInterrupt:
                interrupted = True
                break
            want = expected.get((key(onnx), key(vnnlib)), "")
            if cex and args.cex_dir:
                write_cex(os.path.join(args.cex_dir, f"{name}.counterexample"), cex)
            elif args.cex_dir:
                try:
                    os.unlink(os.path.join(args.cex_dir, f"{name}.counterexample"))
                except FileNotFoundError:
                    pass
            method = "nnenum" if verdict in ("sat", "unsat") else ""
            r = dict(instance=name, onnx=onnx, vnnlib=vnnlib, verdict=verdict, seconds=seconds,
                     expected=want, method=method, note=note)
            results.append(r)
            w.writerow([name, onnx, vnnlib, verdict, f"{seconds:.3f}", want, method, note])
            out.flush()
            if not args.quiet:
                flag = "  <-- CONTRADICTION" if {verdict, want} == {"sat", "unsat"} else ""
                print(f"[{k}/{len(rows)}] {name}  {verdict}  {seconds:.2f}s  expected {want or '?'}  ({note}){flag}",
                      file=sys.stderr, flush=True)
    if not args.log_dir:
        for f in os.listdir(log_dir):
            os.unlink(os.path.join(log_dir, f))
        os.rmdir(log_dir)
    table, contradictions = summary(results)
    print(table)
    if interrupted:
        print(f"interrupted: {len(rows) - len(results)} instances not finished", file=sys.stderr)
        return 130
    return 1 if contradictions else 0


if __name__ == "__main__":
    sys.exit(main())
