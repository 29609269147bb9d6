"""What machine and which versions a run measured (for RESULTS.md and summary.json)."""

import json
import os
import platform
import re
import resource
import subprocess

from .servers import PYTHON


def _run(argv, timeout=20):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return r.stdout.strip() if r.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def machine_info():
    info = {}
    lscpu = _run(["lscpu"]) or ""
    for line in lscpu.splitlines():
        k, _, v = line.partition(":")
        if k.strip() == "Model name":
            info["cpu_model"] = v.strip()
        elif k.strip() == "Hypervisor vendor":
            info["hypervisor"] = v.strip()
    info["cores"] = os.cpu_count()
    info["kernel"] = platform.release()
    mem = _read("/proc/meminfo") or ""
    m = re.search(r"MemTotal:\s+(\d+) kB", mem)
    if m:
        info["ram_gib"] = round(int(m.group(1)) / 1048576, 1)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    info["nofile_limit"] = soft
    info["nofile_hard"] = hard
    for key, path in (("somaxconn", "/proc/sys/net/core/somaxconn"),
                      ("tcp_max_syn_backlog", "/proc/sys/net/ipv4/tcp_max_syn_backlog"),
                      ("ip_local_port_range", "/proc/sys/net/ipv4/ip_local_port_range")):
        v = _read(path)
        if v is not None:
            info[key] = " ".join(v.split())
    os_release = _read("/etc/os-release") or ""
    m = re.search(r'^PRETTY_NAME="?([^"\n]*)', os_release, re.M)
    if m:
        info["os"] = m.group(1)
    return info


def _git_commit(repo):
    """HEAD's commit read from .git's files (no git process: the harness never touches the index)."""
    git = os.path.join(repo, ".git")
    if os.path.isfile(git):  # worktree: "gitdir: PATH"
        g = _read(git) or ""
        if g.startswith("gitdir:"):
            git = os.path.normpath(os.path.join(repo, g.split(":", 1)[1].strip()))
    head = _read(os.path.join(git, "HEAD"))
    if not head:
        return None
    if not head.startswith("ref:"):
        return head[:12]
    ref = head.split(":", 1)[1].strip()
    commondir = _read(os.path.join(git, "commondir"))
    roots = [git] + ([os.path.normpath(os.path.join(git, commondir))] if commondir else [])
    for root in roots:
        sha = _read(os.path.join(root, ref))
        if sha:
            return sha[:12]
        packed = _read(os.path.join(root, "packed-refs")) or ""
        for line in packed.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0][:12]
    return None


def versions(paths):
    v = {}
    tp = os.path.join(paths.build_dir, "daemon", "tradepushd")
    out = _run([tp, "--version"]) if os.access(tp, os.X_OK) else None
    commit = _git_commit(paths.repo)
    v["tradepushd"] = " ".join(x for x in (out, f"(commit {commit})" if commit else None) if x) \
        or "unknown"
    if paths.node:
        v["node"] = _run([paths.node, "--version"]) or "unknown"
        pj = os.path.join(paths.peers, "node", "node_modules", "socket.io", "package.json")
        try:
            with open(pj) as f:
                v["socket.io"] = json.load(f).get("version")
        except (OSError, ValueError):
            v["socket.io"] = None
    v["python"] = (_run([PYTHON, "--version"]) or "").replace("Python ", "") or None
    probe = ("import importlib.metadata as m\n"
             "def ver(n):\n"
             "    try: return m.version(n)\n"
             "    except Exception: return None\n"
             "import json; print(json.dumps({n: ver(n) for n in ('Flask-SocketIO', 'python-socketio',"
             " 'python-engineio', 'Flask', 'eventlet', 'gevent', 'gevent-websocket', "
             "'simple-websocket')}))")
    out = _run([PYTHON, "-c", probe])
    try:
        v["python_packages"] = json.loads(out) if out else {}
    except ValueError:
        v["python_packages"] = {}
    v["flask-socketio"] = v["python_packages"].get("Flask-SocketIO")
    return v


def flask_async_mode(log_path, server_py=None):
    """The async mode the Flask peer ran with: from its log if it says (e.g. 'async_mode=gevent'),
    else the default of its --async-mode option."""
    text = _read(log_path) or ""
    m = re.search(r"async[_ ]mode[\"':= ]+([A-Za-z_]+)", text)
    if m:
        return m.group(1)
    return flask_default_async_mode(server_py) if server_py else None


def flask_default_async_mode(server_py):
    src = _read(server_py) or ""
    m = re.search(r"--async-mode\"[^\n]*default=\"(\w+)\"", src)
    return m.group(1) if m else None
