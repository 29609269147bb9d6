"""Processes the harness starts, free loopback ports and /proc sampling.

Every child is started in its own session (process group) and registered; `Registry.kill_all` ends
them (SIGTERM to the group, then SIGKILL after a grace period) and runs at exit, on SIGINT/SIGTERM/
SIGHUP and on errors, so a run never leaves a server or a load generator behind.
"""

import os
import queue
import signal
import socket
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class HarnessError(Exception):
    """Something in the harness itself broke (as opposed to a server doing badly)."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def proc_start_time(pid):
    """Field 22 of /proc/PID/stat (start time in ticks): tells a PID apart from a reused one."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[19])
    except (OSError, IndexError, ValueError):
        return None


def proc_cpu_s(pid):
    """utime + stime of the whole process (all its threads, not its children) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def proc_mem_kb(pid):
    """{'VmRSS': kB, 'VmHWM': kB, 'Threads': n} from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(val.split()[0])
    return out


class Child:
    def __init__(self, name, popen, log_path):
        self.name = name
        self.popen = popen
        self.log_path = log_path
        self.lines = queue.Queue()
        self.timed = []  # (monotonic time of arrival, line) of every captured line
        self.reader = None

    @property
    def pid(self):
        return self.popen.pid


class Registry:
    def __init__(self):
        self.children = []
        self.lock = threading.Lock()

    def start(self, name, argv, log_path, capture=False, merge=False, env=None, cwd=None):
        """Starts argv in a new session. Output goes to log_path; with capture=True stdout (and
        stderr too with merge=True) is also passed line by line to child.lines and child.timed."""
        log = open(log_path, "ab")
        log.write(("$ " + " ".join(argv) + "\n").encode())
        log.flush()
        try:
            popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture else log,
                stderr=subprocess.STDOUT if (capture and merge) else log,
                start_new_session=True,
                env=env,
                cwd=cwd,
            )
        except OSError as e:
            log.close()
            raise HarnessError(f"cannot start {name}: {argv[0]}: {e}") from e
        child = Child(name, popen, log_path)
        if capture:

            def pump():
                for raw in popen.stdout:
                    now = time.monotonic()
                    log.write(raw)
                    log.flush()
                    line = raw.decode(errors="replace").rstrip("\n")
                    child.timed.append((now, line))
                    child.lines.put(line)
                child.lines.put(None)
                log.close()

            child.reader = threading.Thread(target=pump, daemon=True)
            child.reader.start()
        else:
            log.close()
        with self.lock:
            self.children.append(child)
        return child

    def stop(self, child, grace_s=5.0, extra_pids=()):
        """SIGTERM to the child's process group, SIGKILL after grace_s; extra_pids (with their start
        times) are processes of ours that may have left the group."""
        pgid = child.popen.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for pid, start in extra_pids:
            if start is not None and proc_start_time(pid) == start:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if child.popen.poll() is not None and not _group_alive(pgid) and not any(
                start is not None and proc_start_time(pid) == start for pid, start in extra_pids
            ):
                break
            time.sleep(0.05)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid, start in extra_pids:
            if start is not None and proc_start_time(pid) == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            child.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if child.reader:
            child.reader.join(timeout=2)
        with self.lock:
            if child in self.children:
                self.children.remove(child)

    def kill_all(self):
        with self.lock:
            children = list(self.children)
        for child in children:
            self.stop(child, grace_s=2.0)


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class ThreadCpu:
    """CPU seconds of a process in nanoseconds resolution: the sum of its threads' run time from
    /proc/PID/task/TID/schedstat (utime+stime alone counts in 10 ms ticks). A thread that exits
    keeps the last value seen of it, so the total never goes back."""

    def __init__(self, pid):
        self.pid = pid
        self.last = {}
        self.gone = 0

    def read(self):
        seen = {}
        task_dir = f"/proc/{self.pid}/task"
        for tid in os.listdir(task_dir):
            try:
                with open(f"{task_dir}/{tid}/schedstat") as f:
                    seen[tid] = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
        for tid, v in self.last.items():
            if tid not in seen:
                self.gone += v
        self.last = seen
        return (self.gone + sum(seen.values())) / 1e9


class Sampler(threading.Thread):
    """Samples a process's CPU seconds and memory every `period` seconds into `samples`:
    (monotonic time, utime+stime s, VmRSS kB, VmHWM kB, schedstat CPU s or None). utime+stime
    (10 ms ticks) is the headline figure; the schedstat sum (ns) is kept as a cross-check."""

    def __init__(self, pid, period=0.1):
        super().__init__(daemon=True)
        self.pid = pid
        self.period = period
        self.samples = []
        self.stopped = threading.Event()
        self.dead = False
        self.thread_cpu = ThreadCpu(pid)

    def sample_now(self):
        try:
            t = time.monotonic()
            cpu = proc_cpu_s(self.pid)
            mem = proc_mem_kb(self.pid)
        except (OSError, IndexError, ValueError):
            self.dead = True
            return None
        try:
            sched = self.thread_cpu.read()
        except OSError:
            sched = None
        s = (t, cpu, mem.get("VmRSS", 0), mem.get("VmHWM", 0), sched)
        self.samples.append(s)
        return s

    def run(self):
        while not self.stopped.is_set():
            self.sample_now()
            if self.dead:
                return
            self.stopped.wait(self.period)

    def stop(self):
        self.stopped.set()
        self.join(timeout=2)
        return self.sample_now()

    def cpu_at(self, t, index=1):
        """CPU seconds at time t, linearly interpolated between the samples around it
        (index 1: utime+stime, index 4: schedstat)."""
        s = [x for x in self.samples if x[index] is not None]
        if not s:
            return None
        if t <= s[0][0]:
            return s[0][index]
        for a, b in zip(s, s[1:]):
            if a[0] <= t <= b[0]:
                if b[0] == a[0]:
                    return b[index]
                return a[index] + (b[index] - a[index]) * (t - a[0]) / (b[0] - a[0])
        return s[-1][index]

    def between(self, t0, t1):
        return [x for x in self.samples if t0 <= x[0] <= t1]
