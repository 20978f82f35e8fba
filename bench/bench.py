#!/usr/bin/env python3
"""rgdbserver's own benchmark: stock gdb against two gdbservers, side by side.

Each scenario runs a C program from bench/src under a server and drives it
with gdb in batch mode. The arms alternate (A B A B ...) in one invocation,
so that both see the same machine load; the table gives the median and the
minimum of the timed part, the ratio of medians against the first arm
(below 1 = faster), the server's CPU time, and, from one extra run of each
arm through a counting proxy, the packets and bytes each way.

What is timed is measured inside gdb (Python's time.perf_counter() around
the commands of interest), so gdb's own start-up is left out; for the
startup scenarios the connection is inside the timed part, and the time
from starting the server to its port listening (read from /proc/net/tcp,
no probe connection) is added.

  bench/bench.py --vs target/release/rgdbserver
  bench/bench.py --gdb /tmp/gdb18/bin/gdb --server /tmp/gdb18/bin/gdbserver \\
      --vs target/release/rgdbserver --scenario stepi,startup-libs --runs 7

A server is a binary with GNU gdbserver's command line
(BIN --once HOST:PORT PROG ARGS, BIN --once --attach HOST:PORT PID);
'gnu' is /usr/bin/gdbserver. Python 3 standard library only.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
LIBS = ("-lm -lpthread -lz -lssl -lcrypto -lbz2 -llzma -lsqlite3 -lgmp -luuid "
        "-lffi -lxml2 -lreadline -lncurses -lstdc++").split()


class Scenario:
    """One workload: the program, what gdb does before the clock starts
    (`setup`) and while it runs (`timed`), and a word its output must hold."""

    def __init__(self, prog, args, setup, timed, expect, attach=False, connect_timed=False):
        self.prog, self.args, self.setup, self.timed = prog, args, setup, timed
        self.expect, self.attach, self.connect_timed = expect, attach, connect_timed


def scenarios(o):
    blocks = "python import gdb; B = int(gdb.parse_and_eval('(long)block'))"
    reads = ("python inf = gdb.selected_inferior(); "
             "[inf.read_memory(B + (i * 40961) %% (4 << 20), 16) for i in range(%d)]" % o.reads)
    stop_at = lambda fn: ["break " + fn, "continue"]
    return {
        "startup-trivial": Scenario("trivial", [], [], ["continue"], "exited normally",
                                    connect_timed=True),
        "startup-libs": Scenario("manylibs", [], [], ["info sharedlibrary", "continue"],
                                 "exited normally", connect_timed=True),
        "stepi": Scenario("steploop", [], stop_at("spin"), ["stepi %d" % o.steps], "spin"),
        "bp-ignore": Scenario("bploop", [str(o.iters)], ["break hit", "ignore 1 %d" % (o.iters + 1)],
                              ["continue"], "exited normally"),
        "dump-memory": Scenario("memhog", [str(o.mib)], stop_at("ready"),
                                ["dump binary memory /dev/null block block+block_size"], "ready"),
        "memread": Scenario("memhog", ["4"], stop_at("ready") + [blocks], [reads], "ready"),
        "attach-bt": Scenario("threads", [str(o.threads)], [], ["thread apply all bt"],
                              "wait_forever", attach=True, connect_timed=True),
    }


def build(out):
    os.makedirs(out, exist_ok=True)
    for name in ("trivial", "manylibs", "steploop", "bploop", "memhog", "threads"):
        exe, src = os.path.join(out, name), os.path.join(SRC, name + ".c")
        if os.path.exists(exe) and os.path.getmtime(exe) > os.path.getmtime(src):
            continue
        extra = {"threads": ["-lpthread"], "manylibs": ["-Wl,--no-as-needed"] + LIBS}.get(name, [])
        subprocess.run(["gcc", "-g", "-O0", "-fno-omit-frame-pointer", "-o", exe, src] + extra,
                       check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    want = ":%04X" % port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(want) and fields[3] == "0A":
                    return True
    return False


class Proxy(threading.Thread):
    """Forwards one connection, counting bytes and `$` packets each way
    (`}`-escapes keep `$` out of packet data; acks are not packets;
    non-stop `%` notifications are not counted)."""

    def __init__(self, target_port):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.target_port = target_port
        self.count = {"gdb": [0, 0], "server": [0, 0]}  # sender: [bytes, packets]

    def pump(self, src, dst, who):
        while True:
            data = src.recv(65536)
            if not data:
                break
            self.count[who][0] += len(data)
            self.count[who][1] += data.count(b"$")
            dst.sendall(data)
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self):
        gdb_side, _ = self.listener.accept()
        server_side = socket.create_connection(("127.0.0.1", self.target_port))
        back = threading.Thread(target=self.pump, args=(server_side, gdb_side, "server"), daemon=True)
        back.start()
        self.pump(gdb_side, server_side, "gdb")
        back.join(10)


def start_inferior(path, args):
    """A program to attach to, once it printed "ready"."""
    proc = subprocess.Popen([path] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()
    return proc


def trial(o, arm, sc, traced):
    """One run: (timed seconds, server CPU seconds, proxy counts or None)."""
    prog = os.path.join(o.build, sc.prog)
    port = free_port()
    inferior = start_inferior(prog, sc.args) if sc.attach else None
    if sc.attach:
        cmd = [arm, "--once", "--attach", "127.0.0.1:%d" % port, str(inferior.pid)]
    else:
        cmd = [arm, "--once", "127.0.0.1:%d" % port, prog] + sc.args
    t0 = time.perf_counter()
    server = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    while not listening(port):
        if server.poll() is not None or time.perf_counter() - t0 > 20:
            raise RuntimeError("server did not listen: %s" % " ".join(cmd))
        time.sleep(0.0005)
    listen_time = time.perf_counter() - t0
    proxy = None
    if traced:
        proxy = Proxy(port)
        proxy.start()
    connect = ["target remote 127.0.0.1:%d" % (proxy.port if proxy else port)]
    clock = ["python import time; T0 = time.perf_counter()"]
    stop = ["python print('BENCH-TIME %.6f' % (time.perf_counter() - T0))"]
    if sc.connect_timed:
        script = clock + connect + sc.setup + sc.timed + stop
    else:
        script = connect + sc.setup + clock + sc.timed + stop
    script += ["kill"]
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write("set pagination off\nset confirm off\n" + "\n".join(script) + "\n")
    try:
        out = subprocess.run([o.gdb, "-batch", "-nx", "-x", f.name, prog], capture_output=True,
                             text=True, timeout=o.timeout).stdout
    finally:
        os.unlink(f.name)
    try:
        _, status, usage = os.wait4(server.pid, 0)
        server.returncode = status
    except ChildProcessError:
        usage = None
    if proxy:
        proxy.join(5)
    if inferior:
        inferior.kill()
        inferior.wait()
    marker = [l for l in out.splitlines() if l.startswith("BENCH-TIME ")]
    if not marker or sc.expect not in out:
        raise RuntimeError("%s under %s failed:\n%s" % (sc.prog, arm, out[-3000:]))
    seconds = float(marker[-1].split()[1]) + (listen_time if sc.connect_timed else 0.0)
    cpu = usage.ru_utime + usage.ru_stime if usage else float("nan")
    return seconds, cpu, (proxy.count if proxy else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default="gnu", help="first arm (default: gnu = /usr/bin/gdbserver)")
    ap.add_argument("--vs", help="second arm, e.g. target/release/rgdbserver")
    ap.add_argument("--gdb", default="gdb")
    ap.add_argument("--scenario", default="all", help="comma-separated, or all")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per arm (default 5)")
    ap.add_argument("--no-trace", action="store_true", help="skip the counting run")
    ap.add_argument("--build", default=os.path.join(os.environ.get("BENCH_WORK", "/tmp/rgdbserver-bench"), "build"))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--reads", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=100)
    ap.add_argument("--timeout", type=int, default=600)
    o = ap.parse_args()
    arms = [a if a != "gnu" else shutil.which("gdbserver") or "/usr/bin/gdbserver"
            for a in [o.server] + ([o.vs] if o.vs else [])]
    arms = [os.path.abspath(a) for a in arms]
    table = scenarios(o)
    names = list(table) if o.scenario == "all" else o.scenario.split(",")
    for n in names:
        if n not in table:
            ap.error("unknown scenario %s (have: %s)" % (n, ", ".join(table)))
    build(o.build)
    gdb_version = subprocess.run([o.gdb, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print("# gdb: %s; %d runs per arm, alternating; times in seconds" % (gdb_version, o.runs))
    for i, a in enumerate(arms):
        print("# arm %s: %s" % ("AB"[i], a))
    header = "%-16s %-3s %9s %9s %6s %8s %8s %10s %10s" % (
        "scenario", "arm", "median", "min", "ratio", "srv cpu", "packets", "bytes s>g", "bytes g>s")
    print(header)
    print("-" * len(header))
    for n in names:
        sc = table[n]
        times = {a: [] for a in arms}
        cpus = {a: [] for a in arms}
        for _ in range(o.runs):
            for a in arms:
                t, c, _ = trial(o, a, sc, False)
                times[a].append(t)
                cpus[a].append(c)
        counts = {a: (None if o.no_trace else trial(o, a, sc, True)[2]) for a in arms}
        base = statistics.median(times[arms[0]]) if o.runs else None
        for i, a in enumerate(arms):
            med = statistics.median(times[a]) if o.runs else float("nan")
            ratio = med / base if base else float("nan")
            cpu = statistics.median(cpus[a]) if o.runs else float("nan")
            cnt = counts[a]
            pk = "%d" % (cnt["gdb"][1] + cnt["server"][1]) if cnt else "-"
            sg = "%d" % cnt["server"][0] if cnt else "-"
            gs = "%d" % cnt["gdb"][0] if cnt else "-"
            print("%-16s %-3s %9.4f %9.4f %6.2f %8.3f %8s %10s %10s" % (
                n, "AB"[i], med, min(times[a]) if o.runs else float("nan"), ratio, cpu, pk, sg, gs))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
