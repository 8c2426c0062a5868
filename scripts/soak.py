# SPDX-License-Identifier: GPL-2.0-or-later
"""limu's soak runs (scripts/soak.sh runs this; docs/confinement-and-soak.md has the figures).

Three long runs, each in one JVM, watched from outside through /proc/PID: resident memory
(VmRSS), open file descriptors (/proc/PID/fd) and threads (Threads in /proc/PID/status):

  boots     `limu test` booting the hello kernel (release build) N times (default 10,000)
  restores  `limu bench --soak-restores N`: the suite kernel booted once, its snapshot restored N
            times (default 1,000), each restore running one test
  gdb       `limu run hello-release.elf --cmdline spin --gdb=0 --gdb-history 0`, and a client
            here attaching and detaching N times (default 1,000): connect, qSupported, ?, g, m, D,
            close

A sample is taken every --every steps (and after the first); each prints a line of the curve.
The verdict, per run: after the warm-up (the first 20% of the steps) the resident memory stays
flat, i.e. no sample after it exceeds the largest sample of the warm-up by more than
max(16 MB, 10%); and the open file descriptors and limu's threads (all but the JVM's own JIT,
GC and housekeeping threads) in the last quarter of the samples are at some sample no more than
the most seen during the warm-up (a leak raises them for good; a file or thread open for a
moment does not). Exit 0 when
every run passed, 1 otherwise. --no-rss-rule leaves RSS out of the verdict (a short run is all
warm-up for the JVM's heap: it grows towards -Xmx before it settles).
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


# The JVM's own threads (by their names in /proc/PID/task/*/comm, cut at 15 characters): the JIT and
# the garbage collector start and end some of them as the load changes, so only the others (limu's
# own threads and the main thread) count for the verdict; all threads are shown in the curve.
JVM_THREADS = re.compile(r"^(C[12] CompilerThre|GC Thread|G1 |VM |Reference Handl|Finalizer|Signal Dispatch|"
                         r"Service Thread|Monitor Deflati|Common-Cleaner|Notification Th|Sweeper thread|"
                         r"Attach Listener|process reaper|DestroyJavaVM)")


def proc_sample(pid):
    """(RSS in MB, open fds, all threads, limu's threads) of process pid."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    names = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass  # the thread ended meanwhile
    return rss, fds, len(names), sum(1 for n in names if not JVM_THREADS.match(n))


class Curve:
    def __init__(self, name, unit, total):
        self.name, self.unit, self.total = name, unit, total
        self.samples = []  # (done, rss, fds, limu threads, seconds, all threads)
        self.t0 = time.monotonic()
        print(f"\n{name}: {total} {unit}; a sample every --every {unit} (RSS MB, open fds, threads)", flush=True)
        print(f"  {unit:>10} {'RSS MB':>8} {'fds':>5} {'threads':>8} {'limu thr':>8} {'seconds':>8}", flush=True)

    def sample(self, done, pid):
        rss, fds, threads, own = proc_sample(pid)
        s = (done, rss, fds, own, time.monotonic() - self.t0, threads)
        self.samples.append(s)
        print(f"  {done:>10} {rss:>8.1f} {fds:>5} {threads:>8} {own:>8} {s[4]:>8.1f}", flush=True)

    def verdict(self, completed, rss_rule=True):
        """Prints the verdict line; returns True when flat."""
        if not completed or len(self.samples) < 3:
            print(f"{self.name}: FAIL: the run did not complete ({len(self.samples)} samples)")
            return False
        warm = [s for s in self.samples if s[0] <= WARMUP * self.total] or self.samples[:1]
        after = [s for s in self.samples if s[0] > WARMUP * self.total]
        warm_rss = max(s[1] for s in warm)
        limit = warm_rss + max(RSS_SLACK_MB, RSS_SLACK_SHARE * warm_rss)
        peak = max(s[1] for s in after)
        # fds and threads come and go for a moment (a class file read, a reader thread ending): a leak shows
        # as the fewest of the last quarter's samples being more than the most of the warm-up
        last_quarter = after[-max(1, len(after) // 4):]
        fds_warm, fds_after = max(s[2] for s in warm), min(s[2] for s in last_quarter)
        thr_warm, thr_after = max(s[3] for s in warm), min(s[3] for s in last_quarter)
        problems = []
        if rss_rule and peak > limit:
            problems.append(f"RSS rose to {peak:.1f} MB after warm-up (limit {limit:.1f} MB)")
        if fds_after > fds_warm:
            problems.append(f"open fds rose from {fds_warm} to {fds_after}")
        if thr_after > thr_warm:
            problems.append(f"limu's threads rose from {thr_warm} to {thr_after}")
        first, last = after[0], after[-1]
        print(f"{self.name}: RSS {warm_rss:.1f} MB at most during warm-up (first {int(WARMUP * self.total)} "
              f"{self.unit}), {peak:.1f} MB at most after it (limit {limit:.1f}); from {first[0]} to {last[0]} "
              f"{self.unit}: {last[1] - first[1]:+.1f} MB; fds {fds_warm} -> {fds_after}, limu's threads "
              f"{thr_warm} -> {thr_after} (most in warm-up -> fewest in the last quarter); {last[4]:.0f} s" + ("" if rss_rule else " (RSS not judged: --no-rss-rule)"))
        passed = ("PASS: flat" if rss_rule else "PASS: no fd or thread growth") if not problems else None
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
    curve = Curve("boots", "boots", n)
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
    return curve.verdict(done == n and failed == 0 and code == 0, rss_rule)


def soak_restores(n, every, heap, work, rss_rule):
    curve = Curve("restores", "restores", n)
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
    return curve.verdict(done == n and failed == 0 and code == 0, rss_rule)


class GdbClient:
    """The few remote-protocol packets gdb sends when it attaches, with acknowledgements."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
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
    curve = Curve("gdb", "cycles", n)
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
    return curve.verdict(ok and alive and done == n, rss_rule)


def main():
    ap = argparse.ArgumentParser(description="limu's soak runs: memory, fds and threads over many boots, "
                                             "restores and gdb attach/detach cycles in one JVM")
    ap.add_argument("runs", nargs="*", metavar="boots|restores|gdb", help="which runs (default: all three)")
    ap.add_argument("--boots", type=int, default=10000)
    ap.add_argument("--restores", type=int, default=1000)
    ap.add_argument("--gdb-cycles", type=int, default=1000)
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
