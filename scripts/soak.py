# SPDX-License-Identifier: GPL-2.0-or-later
"""limu's soak runs (scripts/soak.sh runs this; docs/confinement-and-soak.md has the figures).

Three long runs, each in one JVM, watched from outside through /proc/PID and jcmd: resident
memory, open file descriptors (/proc/PID/fd) and threads (/proc/PID/task):

  boots     `limu test` booting the hello kernel (release build) N times (default 10,000)
  restores  `limu bench --soak-restores N`: the suite kernel booted once, its snapshot restored N
            times (default 1,000), each restore running one test
  gdb       `limu run hello-release.elf --cmdline spin --gdb=0 --gdb-history 0`, and a client
            here attaching and detaching N times (default 10,000): connect, qSupported, ?, g, m, D,
            close

A sample is taken every --every steps (and after the first); each prints a line of the curve:
resident memory (from /proc/PID/smaps) in all, inside the Java heap's reserved range and outside
it ("native": the JVM's own memory, Unicorn, guest RAM, thread stacks), and the Java heap in use
right after a full collection (`jcmd PID GC.run`, then `GC.heap_info`).

The verdict, per run: after the warm-up (the first 20% of the steps) the native resident memory
stays flat (no sample after it exceeds the largest of the warm-up by more than max(16 MB, 10%));
the live Java heap, which includes the machines being booted at the moment of the sample, has
its floor judged: the fewest of the last quarter's samples is at most the warm-up's largest plus
max(8 MB, 10%); and the open file descriptors and limu's threads
(all but the JVM's own JIT, GC and housekeeping threads) in the last quarter of the samples are
at some sample no more than the most seen during the warm-up (a leak raises them for good; a
file or thread open for a moment does not). Resident memory inside the Java heap's range is
shown, not judged: the collector hands out regions of the heap it has not touched before for
long after the start, so it rises towards -Xmx (--heap) without anything leaking; a leak in the
heap shows in the live heap. Without jcmd the whole RSS is judged instead. Exit 0 when every run
passed, 1 otherwise. --no-rss-rule leaves memory out of the verdict and skips the full
collections (a short run is all warm-up).
"""
import argparse
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMU = os.path.join(ROOT, "limu")
KERNELS = os.path.join(ROOT, "kernel-images", "out")
WARMUP = 0.2
RSS_SLACK_MB = 16
RSS_SLACK_SHARE = 0.10
LIVE_SLACK_MB = 8


# The JVM's own threads (by their names in /proc/PID/task/*/comm, cut at 15 characters): the JIT and
# the garbage collector start and end some of them as the load changes, so only the others (limu's
# own threads and the main thread) count for the verdict; all threads are shown in the curve.
JVM_THREADS = re.compile(r"^(C[12] CompilerThre|GC Thread|G1 |VM |Reference Handl|Finalizer|Signal Dispatch|"
                         r"Service Thread|Monitor Deflati|Common-Cleaner|Notification Th|Sweeper thread|"
                         r"Attach Listener|process reaper|DestroyJavaVM)")


def jcmd_path():
    """The JDK's jcmd next to the java the launcher runs (JAVA_HOME's first), or None."""
    for d in ([os.path.join(os.environ["JAVA_HOME"], "bin")] if os.environ.get("JAVA_HOME") else []) + \
             [os.path.dirname(os.path.realpath(shutil.which("java") or "/nonexistent"))]:
        if os.access(os.path.join(d, "jcmd"), os.X_OK):
            return os.path.join(d, "jcmd")
    return shutil.which("jcmd")


def jcmd(pid, *command):
    """jcmd's answer for the JVM pid, or None when it cannot answer."""
    tool = jcmd_path()
    if tool is None:
        return None
    try:
        r = subprocess.run([tool, str(pid), *command], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None


def java_heap_range(pid):
    """(begin, end) of the JVM's reserved Java heap, from `jcmd PID GC.heap_info`, or None."""
    m = re.search(r"\[0x([0-9a-f]+), 0x([0-9a-f]+)\)", jcmd(pid, "GC.heap_info") or "")
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else None


def live_heap_mb(pid):
    """The Java heap in use right after a full collection (`jcmd PID GC.run`), in MB, or None."""
    if jcmd(pid, "GC.run") is None:
        return None
    m = re.search(r"used (\d+)K", jcmd(pid, "GC.heap_info") or "")
    return int(m.group(1)) / 1024 if m else None


def resident_mb(pid, heap_range):
    """(resident MB in all, of which inside the Java heap's range) from /proc/PID/smaps."""
    total = heap = 0
    inside = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
            if m:
                inside = heap_range is not None and heap_range[0] <= int(m.group(1), 16) \
                    and int(m.group(2), 16) <= heap_range[1]
            elif line.startswith("Rss:"):
                kb = int(line.split()[1])
                total += kb
                heap += kb if inside else 0
    return total / 1024, heap / 1024


def proc_sample(pid, heap_range):
    """(RSS MB, RSS MB inside the Java heap, open fds, all threads, limu's threads) of process pid."""
    rss, heap = resident_mb(pid, heap_range)
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    names = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass  # the thread ended meanwhile
    return rss, heap, fds, len(names), sum(1 for n in names if not JVM_THREADS.match(n))


def running(pid):
    """True while process pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Sample:
    def __init__(self, done, rss, heap_rss, live, fds, threads, own, seconds):
        self.done, self.rss, self.heap_rss, self.live = done, rss, heap_rss, live
        self.native = rss - heap_rss
        self.fds, self.threads, self.own, self.seconds = fds, threads, own, seconds


def flat(name, warm, after, slack_mb):
    """(summary, problem or None): a sample after the warm-up above the warm-up's largest plus the allowance."""
    top = max(warm)
    limit = top + max(slack_mb, RSS_SLACK_SHARE * top)
    peak = max(after)
    text = f"{name} {top:.1f} MB at most during warm-up, {peak:.1f} MB at most after it (limit {limit:.1f})"
    return text, (f"{name} rose to {peak:.1f} MB after warm-up (limit {limit:.1f} MB)" if peak > limit else None)


def floor_flat(name, warm, last_quarter, slack_mb):
    """(summary, problem or None): the fewest of the last quarter's samples above the warm-up's largest plus the
    allowance. For a quantity that includes work in flight (the machines being booted when the sample is taken),
    which a sample may catch at any size; what a leak raises for good is its floor."""
    top = max(warm)
    limit = top + max(slack_mb, RSS_SLACK_SHARE * top)
    low = min(last_quarter)
    text = (f"{name} {top:.1f} MB at most during warm-up, {low:.1f} MB at least in the last quarter "
            f"(limit {limit:.1f})")
    return text, (f"{name} stayed above {low:.1f} MB in the last quarter (limit {limit:.1f} MB)" if low > limit else None)


class Curve:
    def __init__(self, name, unit, total, rss_rule=True):
        self.name, self.unit, self.total, self.rss_rule = name, unit, total, rss_rule
        self.samples = []
        self.heap_range = None
        self.live_ok = rss_rule  # the live heap is measured (a full collection a sample) only when judged
        self.t0 = time.monotonic()
        print(f"\n{name}: {total} {unit}; a sample every --every {unit}: resident memory in all (RSS), inside the "
              f"Java heap's range and outside it (native), the Java heap in use after a full collection (live), "
              f"open fds, threads", flush=True)
        print(f"  {unit:>10} {'RSS MB':>8} {'heap MB':>8} {'native':>8} {'live MB':>8} {'fds':>5} {'threads':>8} "
              f"{'limu thr':>8} {'seconds':>8}", flush=True)

    def sample(self, done, pid):
        if self.heap_range is None:
            self.heap_range = java_heap_range(pid)
        live = live_heap_mb(pid) if self.live_ok else None
        try:
            rss, heap, fds, threads, own = proc_sample(pid, self.heap_range)
        except OSError:
            rss = 0
        if rss == 0 or (self.live_ok and live is None and not running(pid)):
            # the last step's line can come just before the process ends: no sample of a process on its way out
            print(f"  {done:>10} (the process ended before this sample)", flush=True)
            return
        s = Sample(done, rss, heap, live, fds, threads, own, time.monotonic() - self.t0)
        self.samples.append(s)
        live_text = f"{live:>8.1f}" if live is not None else f"{'-':>8}"
        print(f"  {done:>10} {rss:>8.1f} {heap:>8.1f} {s.native:>8.1f} {live_text} {fds:>5} {threads:>8} {own:>8} "
              f"{s.seconds:>8.1f}", flush=True)

    def verdict(self, completed):
        """Prints the verdict lines; returns True when flat."""
        if not completed or len(self.samples) < 3:
            print(f"{self.name}: FAIL: the run did not complete ({len(self.samples)} samples)")
            return False
        warm = [s for s in self.samples if s.done <= WARMUP * self.total] or self.samples[:1]
        after = [s for s in self.samples if s.done > WARMUP * self.total]
        # fds and threads come and go for a moment (a class file read, a reader thread ending): a leak shows
        # as the fewest of the last quarter's samples being more than the most of the warm-up
        last_quarter = after[-max(1, len(after) // 4):]
        fds_warm, fds_after = max(s.fds for s in warm), min(s.fds for s in last_quarter)
        thr_warm, thr_after = max(s.own for s in warm), min(s.own for s in last_quarter)
        problems = []
        lines = []
        if self.rss_rule:
            if self.heap_range is not None and all(s.live is not None for s in self.samples):
                for text, problem in (
                        flat("native", [s.native for s in warm], [s.native for s in after], RSS_SLACK_MB),
                        floor_flat("live heap", [s.live for s in warm], [s.live for s in last_quarter],
                                   LIVE_SLACK_MB)):
                    lines.append(text)
                    problems += [problem] if problem else []
            else:  # no jcmd: the whole resident memory is judged
                lines.append("(no jcmd answer: RSS judged as a whole)")
                text, problem = flat("RSS", [s.rss for s in warm], [s.rss for s in after], RSS_SLACK_MB)
                lines.append(text)
                problems += [problem] if problem else []
        if fds_after > fds_warm:
            problems.append(f"open fds rose from {fds_warm} to {fds_after}")
        if thr_after > thr_warm:
            problems.append(f"limu's threads rose from {thr_warm} to {thr_after}")
        first, last = after[0], after[-1]
        print(f"{self.name}: warm-up = the first {int(WARMUP * self.total)} {self.unit}; " + "; ".join(lines)
              + ("; " if lines else "")
              + f"RSS from {first.done} to {last.done} {self.unit}: {last.rss - first.rss:+.1f} MB "
              f"(inside the Java heap {last.heap_rss - first.heap_rss:+.1f}, native {last.native - first.native:+.1f}); "
              f"fds {fds_warm} -> {fds_after}, limu's threads {thr_warm} -> {thr_after} (most in warm-up -> fewest "
              f"in the last quarter); {last.seconds:.0f} s" + ("" if self.rss_rule else " (memory not judged: --no-rss-rule)"))
        passed = ("PASS: flat" if self.rss_rule else "PASS: no fd or thread growth") if not problems else None
        print(f"{self.name}: {passed or 'FAIL: ' + '; '.join(problems)}", flush=True)
        return not problems


def limu_env(heap):
    env = dict(os.environ)
    env["LIMU_JAVA_OPTS"] = (env.get("LIMU_JAVA_OPTS", "") + f" -Xmx{heap}").strip()
    return env


def soak_boots(n, every, heap, work, rss_rule):
    kernel = os.path.join(work, "hello.elf")
    shutil.copy(os.path.join(KERNELS, "hello-release.elf"), kernel)
    argfile = os.path.join(work, "kernels.txt")
    with open(argfile, "w") as f:
        f.write("hello.elf\n" * n)
    curve = Curve("boots", "boots", n, rss_rule)
    p = subprocess.Popen([LIMU, "test", "--success-exit-code", "33", "-j", "2", "--memory", "32M",
                          "--framebuffer", "none", "--log-dir", os.path.join(work, "logs"), "@" + argfile],
                         cwd=work, stdout=subprocess.PIPE, text=True, env=limu_env(heap))
    done = failed = 0
    summary = ""
    for line in p.stdout:
        if line.startswith(("PASS ", "FAIL ")):
            done += 1
            failed += line.startswith("FAIL ")
            if done == 1 or done % every == 0:
                curve.sample(done, p.pid)
        elif line.startswith("limu test: ") and "passed" in line:
            summary = line.strip()
    code = p.wait()
    print(f"boots: {summary} (exit {code})")
    return curve.verdict(done == n and failed == 0 and code == 0)


def soak_restores(n, every, heap, work, rss_rule):
    curve = Curve("restores", "restores", n, rss_rule)
    p = subprocess.Popen([LIMU, "bench", "--soak-restores", str(n), "--kernels", KERNELS], cwd=work,
                         stdout=subprocess.PIPE, text=True, env=limu_env(heap))
    done = failed = 0
    for line in p.stdout:
        m = re.match(r"restore (\d+): (\S+)", line)
        if m:
            done = int(m.group(1))
            failed += m.group(2) != "passed"
            if done == 1 or done % every == 0:
                curve.sample(done, p.pid)
    code = p.wait()
    print(f"restores: {done} done, {failed} failed (exit {code})")
    return curve.verdict(done == n and failed == 0 and code == 0)


class GdbClient:
    """The few remote-protocol packets gdb sends when it attaches, with acknowledgements."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        # as gdb does: without it, each packet after an acknowledgement waits ~40 ms for the stub's delayed ACK
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _read(self, n=1):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("the stub closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def packet(self, body):
        data = body.encode()
        self.s.sendall(b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF))
        while True:  # the stub's '+' for our packet, then its reply
            c = self._read()
            if c == b"$":
                break
            if c == b"-":
                raise ConnectionError(f"the stub refused {body!r}")
        reply = b""
        while True:
            c = self._read()
            if c == b"#":
                break
            reply += c
        self._read(2)  # checksum
        self.s.sendall(b"+")
        return reply.decode(errors="replace")

    def close(self):
        self.s.close()


def gdb_cycle(port):
    c = GdbClient(port)
    step = "connect"
    try:
        c.s.sendall(b"+")
        step = "qSupported"
        if "PacketSize" not in c.packet("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"):
            raise RuntimeError("no qSupported answer")
        step = "?"
        if not c.packet("?").startswith("T"):
            raise RuntimeError("no stop reply")
        step = "g"
        if len(c.packet("g")) < 16 * 16:
            raise RuntimeError("short register block")
        step = "m"
        if len(c.packet("mffffffff80000000,40")) != 128:
            raise RuntimeError("memory read failed")
        step = "D"
        if c.packet("D") != "OK":
            raise RuntimeError("detach not OK")
    except (OSError, RuntimeError) as e:
        raise RuntimeError(f"at {step}: {e}") from e
    finally:
        c.close()


def soak_gdb(n, every, heap, work, rss_rule):
    curve = Curve("gdb", "cycles", n, rss_rule)
    p = subprocess.Popen([LIMU, "run", os.path.join(KERNELS, "hello-release.elf"), "--cmdline", "spin", "--gdb=0",
                          "--gdb-history", "0"],
                         cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, env=limu_env(heap))
    port = None
    for line in p.stderr:
        m = re.search(r"limu: gdb: listening on \S+:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    # limu says a line per attach and detach: keep reading, or a full pipe would stop it
    last = collections.deque(maxlen=6)
    reader = threading.Thread(target=lambda: last.extend(p.stderr), daemon=True)
    reader.start()
    done = 0
    ok = port is not None
    try:
        while ok and done < n:
            try:
                gdb_cycle(port)
            except (OSError, RuntimeError) as e:
                print(f"gdb: cycle {done + 1} failed: {e}")
                ok = False
                break
            done += 1
            if done == 1 or done % every == 0:
                curve.sample(done, p.pid)
        alive = p.poll() is None
        if not ok:
            p.terminate()
            reader.join(10)
            print("gdb: limu's last messages:\n  " + "".join(last).replace("\n", "\n  "))
        if not alive:
            print(f"gdb: limu ended during the cycles (exit {p.returncode})")
    finally:
        p.terminate()
        p.wait(30)
    return curve.verdict(ok and alive and done == n)


def main():
    ap = argparse.ArgumentParser(description="limu's soak runs: memory, fds and threads over many boots, "
                                             "restores and gdb attach/detach cycles in one JVM")
    ap.add_argument("runs", nargs="*", metavar="boots|restores|gdb", help="which runs (default: all three)")
    ap.add_argument("--boots", type=int, default=10000)
    ap.add_argument("--restores", type=int, default=1000)
    ap.add_argument("--gdb-cycles", type=int, default=10000)
    ap.add_argument("--every", type=int, default=0,
                    help="steps between samples (default: a twentieth of each run's steps)")
    ap.add_argument("--heap", default="256m", help="the JVM's -Xmx (default: 256m)")
    ap.add_argument("--no-rss-rule", action="store_true", help="judge only fds and threads")
    ap.add_argument("--quick", action="store_true", help="200 boots, 50 restores, 20 gdb cycles")
    a = ap.parse_args()
    if a.quick:
        a.boots, a.restores, a.gdb_cycles = 200, 50, 20
    runs = a.runs or ["boots", "restores", "gdb"]
    for r in runs:
        if r not in ("boots", "restores", "gdb"):
            ap.error(f"unknown run {r!r}: boots, restores or gdb")
    for k in ("hello-release.elf", "suite-release.elf"):
        if not os.path.isfile(os.path.join(KERNELS, k)):
            sys.exit(f"soak: {KERNELS}/{k} missing: build the kernels with kernel-images/build.sh")
    results = {}
    with tempfile.TemporaryDirectory(prefix="limu-soak-") as work:
        for r in runs:
            n = {"boots": a.boots, "restores": a.restores, "gdb": a.gdb_cycles}[r]
            every = a.every or max(1, n // 20)
            results[r] = {"boots": soak_boots, "restores": soak_restores, "gdb": soak_gdb}[r](n, every, a.heap, work, not a.no_rss_rule)
    print("\nsoak: " + ", ".join(f"{r} {'PASS' if ok else 'FAIL'}" for r, ok in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
