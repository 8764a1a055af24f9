"""The benchmark of a rendered service: `uv run python -m benchmarks [--quick]`.

One run renders the default project with `database=postgresql`, migrates it, serves it with
uvicorn (one worker, pinned to CPU 0 with `taskset`) next to a bare FastAPI app with one
`SELECT 1` endpoint (the baseline, same server settings), drives load with wrk from CPU 1,
and prints a Markdown table: requests/s, p50, p99, errors, peak RSS and the most PostgreSQL
connections seen, each scenario also as a ratio to the baseline measured in the same run;
then launch-to-ready time, idle RSS, `copier copy` time, the rendered project's own test
suite time, and a check of every target of docs/performance.md. The same project rendered
with `observability=otel` is served too, every request traced and exported over OTLP/HTTP
to a receiver in this process, to show what tracing costs `GET /v1/auth/me`.

Full mode repeats each measurement (interleaved, so drifting noise hits every scenario
alike) and reports medians; `--quick` measures once, briefly, for CI's smoke test.
Only loopback addresses are ever loaded, every load run is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOAD_SCRIPT = HERE / "load.lua"
PACKAGE = "my_service"  # the default answers' package
HOST = "127.0.0.1"
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres@127.0.0.1:5432")
ADMIN_DSN = f"postgresql://{POSTGRES}/postgres"
PASSWORD = "a benchmark passphrase 1"
SERVER_CPU, LOAD_CPU = "0", "1"
CONNECTIONS = 32
SETTLE_SECONDS = 2.0
POOL_BOUND = 0  # pool_size + max_overflow of the service's defaults, read from the project


@dataclass(frozen=True)
class Plan:
    repeats: int
    duration: int  # seconds of each measured wrk run
    warmup: int  # seconds of load before each measured run, not measured
    launches: int  # launch-to-ready measurements
    test_suite: bool  # time the rendered project's own tests
    fuzz_examples: int  # schemathesis examples per operation in the deep run (0: none)
    profile: bool = False
    project: Path | None = None
    only: str = ""


QUICK = Plan(repeats=1, duration=3, warmup=1, launches=1, test_suite=False, fuzz_examples=0)
FULL = Plan(repeats=3, duration=10, warmup=2, launches=5, test_suite=True, fuzz_examples=100)


# --- processes ---------------------------------------------------------------------------------


def pinned(cpu: str) -> list[str]:
    """`taskset -c cpu` when the machine has it and the CPU; else nothing (noted in the output)."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > int(cpu):
        return ["taskset", "-c", cpu]
    return []


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def request(
    port: int,
    method: str,
    path: str,
    body: object | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        payload = json.dumps(body) if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else {})
    finally:
        connection.close()


class Server:
    """A server process started by the benchmark; stopped by its pid, never by name."""

    def __init__(self, name: str, argv: list[str], cwd: Path, env: dict[str, str], log: Path):
        self.name, self.argv, self.cwd, self.env, self.log = name, argv, cwd, env, log
        self.port = int(argv[argv.index("--port") + 1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> float:
        """Start and wait for `/health/ready`; returns the seconds from launch to ready."""
        with self.log.open("ab") as out:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"{self.name} exited with {self.process.returncode}:\n{tail}")
            try:
                if request(self.port, "GET", "/health/ready", timeout=2)[0] == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.005)
        raise SystemExit(f"{self.name} was not ready within {timeout}s (log: {self.log})")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User and system CPU time of the process so far (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def status_kib(self, key: str) -> int:
        text = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
        return int(match.group(1)) if match else 0


class OtlpReceiver:
    """A local OTLP/HTTP endpoint that takes every export and answers 200, on the load's
    CPU: what tracing costs the service, without a collector's own work in the figures."""

    def __init__(self) -> None:
        self.exports = 0
        self.bytes = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bytes += len(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.exports += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.endpoint = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        if pinned(LOAD_CPU):  # this thread and those it starts for each connection
            os.sched_setaffinity(0, {int(LOAD_CPU)})
        self._server.serve_forever()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def peak_rss(server: Server) -> Iterator[Callable[[], float]]:
    """The highest resident memory (MB) of the server while the block runs: the kernel's
    high-water mark, reset first (clear_refs 5), and a 20 ms sampler as a fallback."""
    try:
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    highest = [server.status_kib("VmRSS")]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            highest[0] = max(highest[0], server.status_kib("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = [0.0]
    try:
        yield lambda: result[0]
    finally:
        stop.set()
        sampler.join()
        peak = max(highest[0], server.status_kib("VmHWM") if reset else 0)
        result[0] = peak / 1024


@contextmanager
def database_connections(python: Path, database: str) -> Iterator[Callable[[], tuple[int, int]]]:
    """The most (and the last) connections to `database` in pg_stat_activity while the block runs."""
    watcher = subprocess.Popen(
        [str(python), str(HERE / "db_helper.py"), "watch", ADMIN_DSN, database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    result = [(0, 0)]
    try:
        time.sleep(0.2)
        yield lambda: result[0]
    finally:
        out, _ = watcher.communicate("", timeout=30)
        match = re.search(r"CONNECTIONS (\d+) (\d+)", out)
        result[0] = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)


@contextmanager
def latency_probe(
    port: int, path: str, interval: float = 0.02
) -> Iterator[Callable[[], list[float]]]:
    """GET `path` every `interval` seconds on one keep-alive connection while the block runs;
    yields the latencies (ms). It shows whether the event loop keeps answering."""
    latencies: list[float] = []
    failures = [0]
    stop = threading.Event()

    def probe() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        while not stop.wait(interval):
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures[0] += 1
        connection.close()

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    try:
        yield lambda: latencies + [float("inf")] * failures[0]
    finally:
        stop.set()
        thread.join()


def wrk(port: int, path: str, mode: str, data: Path, seconds: int) -> dict[str, float]:
    argv = [
        *pinned(LOAD_CPU),
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LOAD_SCRIPT),
        f"http://{HOST}:{port}{path}",
        "--",
        mode,
        str(data),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    match = re.search(r"^WRK_RESULT (\{.*\})$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not match:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    raw = json.loads(match.group(1))
    errors = sum(raw[key] for key in ("connect", "read", "write", "status", "timeout"))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50": raw["p50_us"] / 1000,
        "p99": raw["p99_us"] / 1000,
        "errors": errors,
        "requests": raw["requests"],
    }


# --- the project -------------------------------------------------------------------------------


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> float:
    """Run a command; its seconds. Fails the benchmark with the command's output."""
    started = time.perf_counter()
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise SystemExit(
            f"`{' '.join(argv)}` failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return time.perf_counter() - started


def project_env(database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "UV_PROJECT", "DATABASE__", "SECURITY__", "PYTEST_"))
    }
    env.update(
        UV_PYTHON_DOWNLOADS=env.get("UV_PYTHON_DOWNLOADS", "never"),
        DATABASE__URL=database_url,
        LOG__FORMAT="json",  # what production runs
        LOG__LEVEL="INFO",
        # Many logins from one address in a storm: keep the per-address lock out of the way.
        AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS="1000000",
    )
    return env


OTEL_ME = "GET /v1/auth/me, otel exporting"


@dataclass
class Launches:
    ready: list[float] = field(default_factory=list)  # seconds from launch to ready
    cpu: list[float] = field(default_factory=list)  # CPU seconds until ready
    idle_rss: list[float] = field(default_factory=list)  # MB, a second after ready


@dataclass
class Measured:
    runs: list[dict[str, float]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)

    def most(self, key: str) -> float:
        return max(run[key] for run in self.runs)

    def total(self, key: str) -> float:
        return sum(run[key] for run in self.runs)


@dataclass
class Scenario:
    label: str
    server: Server
    path: str
    mode: str
    prepare: Callable[[], Path]
    probe: bool = False
    measured: Measured = field(default_factory=Measured)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="one short run of each (CI smoke test)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="render here and keep it (default: a temporary folder, removed)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record the service with py-spy during each first measured run "
        "(collapsed stacks per scenario, in --workdir)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        help="benchmark this rendered project instead of rendering one (for trying changes)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="run only the scenarios whose label contains this (and the baseline); "
        "neither the project's tests nor the deep fuzzing run",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    plan = replace(plan, project=args.project, only=args.only)
    if args.only:
        plan = replace(plan, test_suite=False, fuzz_examples=0)
    if args.profile:
        plan = replace(plan, profile=True)

    for tool in ("wrk", "uv"):
        if not shutil.which(tool):
            raise SystemExit(f"`{tool}` is not on PATH (wrk: `bash benchmarks/install-tools.sh`)")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = f"bench_{uuid.uuid4().hex[:10]}"
    servers: list[Server] = []
    python: Path | None = None
    try:
        results, python = benchmark(plan, workdir, database, servers)
    finally:
        for server in servers:
            server.stop()
        if python is not None and python.exists():
            for name in (database, f"{database}_baseline", f"{database}_otel"):
                subprocess.run(
                    [str(python), str(HERE / "db_helper.py"), "drop", ADMIN_DSN, name],
                    check=False,
                    capture_output=True,
                )
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(results["report"])
    if args.json:
        args.json.write_text(
            json.dumps({k: v for k, v in results.items() if k != "report"}, indent=2)
        )
    return 0


def benchmark(
    plan: Plan, workdir: Path, database: str, servers: list[Server]
) -> tuple[dict[str, object], Path]:
    uv = shutil.which("uv") or "uv"
    project = workdir / "project"
    traced_project = workdir / "project-otel"
    copy_seconds = float("nan")
    if plan.project:
        project = plan.project.resolve()
    else:
        copy_seconds = render(project)
    database_url = f"postgresql+asyncpg://{POSTGRES}/{database}"
    env = project_env(database_url)
    log(f"rendered in {copy_seconds:.2f}s; uv sync ...")
    install(project, env)
    python = project / ".venv" / "bin" / "python"
    run([uv, "run", "--no-sync", PACKAGE, "migrate"], cwd=project, env=env)
    # The baseline and the otel project have databases of their own, so each server's
    # connections are counted apart.
    for name in (f"{database}_baseline", f"{database}_otel"):
        run([str(python), str(HERE / "db_helper.py"), "create", ADMIN_DSN, name], project, env)
    # The default project with `observability=otel`.
    render(traced_project, "observability=otel")
    traced_env = {**env, "DATABASE__URL": f"{database_url}_otel"}
    install(traced_project, traced_env)
    run([uv, "run", "--no-sync", PACKAGE, "migrate"], cwd=traced_project, env=traced_env)

    # The service's pool defaults: the baseline gets the same, and they bound the connections.
    pool = subprocess.run(
        [
            str(python),
            "-c",
            f"from {PACKAGE}.settings import DatabaseSettings as D; d = D(); print(d.pool_size, d.max_overflow)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=project,
    ).stdout.split()
    pool_size, max_overflow = int(pool[0]), int(pool[1])
    global POOL_BOUND
    POOL_BOUND = pool_size + max_overflow
    service_port, baseline_port, traced_port = free_port(), free_port(), free_port()
    receiver = OtlpReceiver()
    traced = Server(
        "otel service",
        serve_argv(traced_project, traced_port),
        traced_project,
        {
            **traced_env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_SERVICE_NAME": "bench",
        },
        workdir / "otel-service.log",
    )
    service = Server(
        "service",
        serve_argv(project, service_port),
        project,
        env,
        workdir / "service.log",
    )
    baseline = Server(
        "baseline",
        [
            *pinned(SERVER_CPU),
            str(python),
            str(HERE / "baseline_app.py"),
            "--database-url",
            f"{database_url}_baseline",
            "--port",
            str(baseline_port),
            "--pool-size",
            str(pool_size),
            "--max-overflow",
            str(max_overflow),
        ],
        project,
        env,
        workdir / "baseline.log",
    )

    # Launch to ready, and the resident memory of a fresh, idle service; interleaved with the
    # same figures for the otel project.
    receiver.start()
    launches: dict[Server, Launches] = {service: Launches(), traced: Launches()}
    for _ in range(plan.launches):
        for server, launched in launches.items():
            launched.ready.append(server.start())
            launched.cpu.append(server.cpu_seconds())  # steadier than the wall time when busy
            time.sleep(1.0)
            launched.idle_rss.append(server.status_kib("VmRSS") / 1024)
            server.stop()
    servers.extend([service, baseline, traced])
    service.start()
    baseline.start()
    traced.start()
    log(
        f"ready in {statistics.median(launches[service].ready):.2f}s, "
        f"idle RSS {statistics.median(launches[service].idle_rss):.0f} MB"
    )

    email = f"user-{uuid.uuid4().hex[:8]}@example.com"  # no word of the password in it
    credentials = {"email": email, "password": PASSWORD}
    # The same verified account on both services.
    for port, name in ((service_port, database), (traced_port, f"{database}_otel")):
        status, body = request(
            port,
            "POST",
            "/v1/auth/register",
            {"email": email, "password": PASSWORD, "confirm_password": PASSWORD},
        )
        assert status in (201, 202), (status, body)
        helper = [str(python), str(HERE / "db_helper.py"), "verify"]
        run([*helper, f"postgresql://{POSTGRES}/{name}", email], cwd=project, env=env)

    def login(port: int = service_port) -> dict[str, object]:
        status, body = request(port, "POST", "/v1/auth/login", credentials)
        assert status == 200, (status, body)
        return body

    # The profile comes from AccountRegistered through the outbox: wait until it is there.
    deadline = time.monotonic() + 30
    token = login()["access_token"]
    while (
        request(service_port, "GET", "/v1/users/me", headers={"Authorization": f"Bearer {token}"})[
            0
        ]
        != 200
    ):
        if time.monotonic() > deadline:
            raise SystemExit("the profile was not created within 30s")
        time.sleep(0.1)

    data = workdir / "data"
    data.mkdir(exist_ok=True)

    def bearer(port: int = service_port) -> Path:
        path = data / "bearer.txt"  # a fresh token each run: a full run outlasts its 15 minutes
        path.write_text(str(login(port)["access_token"]))
        return path

    def login_body() -> Path:
        path = data / "login.json"
        path.write_text(json.dumps(credentials))
        return path

    def refresh_tokens() -> Path:
        # One token per connection, each from its own login; every response brings the next.
        # Plus spares: wrk calls request() once more to check the script before it starts.
        path = data / "refresh.txt"
        path.write_text("".join(f"{login()['refresh_token']}\n" for _ in range(CONNECTIONS + 4)))
        return path

    def nothing() -> Path:
        return data / "none"

    databases = {service: database, baseline: f"{database}_baseline", traced: f"{database}_otel"}
    scenarios = [
        Scenario("baseline: GET /select-1", baseline, "/select-1", "bearer", bearer),
        Scenario("GET /v1/auth/me", service, "/v1/auth/me", "bearer", bearer),
        Scenario(OTEL_ME, traced, "/v1/auth/me", "bearer", lambda: bearer(traced_port)),
        Scenario("GET /v1/users/me", service, "/v1/users/me", "bearer", bearer),
        Scenario("POST /v1/auth/login", service, "/v1/auth/login", "login", login_body, probe=True),
        Scenario(
            "POST /v1/auth/refresh-token",
            service,
            "/v1/auth/refresh-token",
            "refresh",
            refresh_tokens,
        ),
    ]
    del nothing
    scenarios = [s for s in scenarios if s.server is baseline or plan.only in s.label]
    for repeat in range(plan.repeats):
        for scenario in scenarios:
            log(f"[{repeat + 1}/{plan.repeats}] {scenario.label}")
            wrk(scenario.server.port, scenario.path, scenario.mode, scenario.prepare(), plan.warmup)
            # The warm-up's last requests outlive its closed connections (a login's hash still
            # runs): let them finish, or the measured run starts on a full hashing queue.
            time.sleep(SETTLE_SECONDS)
            if plan.profile and repeat == 0 and scenario.server is not baseline:
                profile(uv, scenario, workdir, plan.duration)
            payload = scenario.prepare()
            with (
                peak_rss(scenario.server) as rss,
                database_connections(python, databases[scenario.server]) as connections,
                latency_probe(service_port, "/health/live") if scenario.probe else _none() as probe,
            ):
                cpu = scenario.server.cpu_seconds()
                result = wrk(
                    scenario.server.port, scenario.path, scenario.mode, payload, plan.duration
                )
                # CPU per request is steadier than req/s on a shared machine: it ignores the
                # time the server waits for a core.
                result["cpu_us"] = (
                    (scenario.server.cpu_seconds() - cpu) / max(result["requests"], 1) * 1e6
                )
            result["rss"] = rss()
            result["db_max"], result["db_last"] = connections()
            if probe is not None:
                latencies = sorted(probe())
                result["probe_p99"] = (
                    latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("inf")
                )
                result["probe_samples"] = len(latencies)
            scenario.measured.runs.append(result)

    for server in servers:
        server.stop()
    receiver.stop()
    if any(scenario.server is traced for scenario in scenarios) and not receiver.exports:
        raise SystemExit(f"the otel service exported no spans (log: {traced.log})")
    suite_seconds = None
    # The project's tests configure themselves: none of the service's settings reach them.
    tests_env = {
        k: v
        for k, v in env.items()
        if not k.startswith(("DATABASE__", "LOG__", "AUTH__", "SECURITY__"))
    }
    if plan.test_suite or plan.fuzz_examples:
        run([uv, "sync", "--quiet", "--compile-bytecode"], cwd=project, env=env)  # dev tools now
    if plan.test_suite:
        log("the rendered project's own tests ...")
        suite_seconds = run(
            [uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project,
            env=tests_env,
        )

    fuzz: dict[str, object] | None = None
    if plan.fuzz_examples:
        log(f"schemathesis, {plan.fuzz_examples} examples per operation ...")
        fuzz_env = {**tests_env, "FUZZ_MAX_EXAMPLES": str(plan.fuzz_examples)}
        started = time.perf_counter()
        fuzzed = subprocess.run(
            [
                uv,
                "run",
                "--no-sync",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--no-cov",
                "tests/e2e/test_fuzz.py",
            ],
            cwd=project,
            env=fuzz_env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        # A finding is reported in the table (and its output logged), not lost with the figures.
        if fuzzed.returncode != 0:
            (workdir / "fuzz.log").write_text(fuzzed.stdout + fuzzed.stderr)
            log(f"schemathesis failed ({workdir / 'fuzz.log'}):\n{fuzzed.stdout[-3000:]}")
        fuzz = {
            "examples_per_operation": plan.fuzz_examples,
            "seconds": time.perf_counter() - started,
            "passed": fuzzed.returncode == 0,
        }

    results = summarize(
        plan,
        scenarios,
        launches[service],
        copy_seconds,
        suite_seconds,
        fuzz,
        launches[traced],
    )
    return results, python


def render(target: Path, *answers: str) -> float:
    """`copier copy` of this checkout's HEAD with the default answers, PostgreSQL and
    `answers`; its seconds."""
    shutil.rmtree(target, ignore_errors=True)
    data = [item for answer in ("database=postgresql", *answers) for item in ("--data", answer)]
    copier = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults"]
    copier += ["--vcs-ref", "HEAD", *data, str(ROOT), str(target)]
    return run(copier, cwd=target.parent, env=dict(os.environ))


def serve_argv(project: Path, port: int) -> list[str]:
    """The project's own `serve` command, pinned to the server's CPU."""
    executable = str(project / ".venv" / "bin" / PACKAGE)
    return [*pinned(SERVER_CPU), executable, "serve", "--host", HOST, "--port", str(port)]


def install(project: Path, env: dict[str, str]) -> None:
    """What the image installs (Dockerfile): no dev tools, bytecode compiled ahead of time.
    Without .pyc files (PYTHONDONTWRITEBYTECODE is common on CI) every start compiles."""
    uv = shutil.which("uv") or "uv"
    run([uv, "sync", "--quiet", "--no-dev", "--compile-bytecode"], cwd=project, env=env)
    python = project / ".venv" / "bin" / "python"
    run([str(python), "-m", "compileall", "-q", "src"], cwd=project, env=env)


def profile(uv: str, scenario: Scenario, workdir: Path, seconds: int) -> None:
    """py-spy (from PyPI, into the served project's environment) samples the service under
    the scenario's load: collapsed stacks, for `benchmarks/hotspots.py`."""
    project = scenario.server.cwd
    spy = project / ".venv" / "bin" / "py-spy"
    if not spy.exists():
        python = project / ".venv" / "bin" / "python"
        run(
            [uv, "pip", "install", "--quiet", "--python", str(python), "py-spy"],
            cwd=project,
            env=dict(os.environ),
        )
    slug = re.sub(r"[^a-z0-9]+", "-", scenario.label.lower()).strip("-")
    output = workdir / f"profile-{slug}.txt"
    recorder = subprocess.Popen(
        [
            *[str(spy), "record", "--pid", str(scenario.server.pid), "--duration", str(seconds)],
            *["--rate", "200", "--nonblocking", "--format", "raw", "--output", str(output)],
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(scenario.server.port, scenario.path, scenario.mode, scenario.prepare(), seconds)
    recorder.wait(timeout=60)
    log(f"profile: {output}")


@contextmanager
def _none() -> Iterator[None]:
    yield None


def log(message: str) -> None:
    print(f"-- {message}", file=sys.stderr, flush=True)


# --- the report ----------------------------------------------------------------------------------


def summarize(
    plan: Plan,
    scenarios: list[Scenario],
    launches: Launches,
    copy_seconds: float,
    suite_seconds: float | None,
    fuzz: dict[str, object] | None,
    traced_launches: Launches,
) -> dict[str, object]:
    base = scenarios[0].measured
    base_rps, base_p99 = base.median("rps"), base.median("p99")
    rows: dict[str, dict[str, float]] = {}
    for scenario in scenarios:
        m = scenario.measured
        rows[scenario.label] = {
            "rps": m.median("rps"),
            "p50_ms": m.median("p50"),
            "p99_ms": m.median("p99"),
            "errors": m.total("errors"),
            "peak_rss_mb": m.most("rss"),
            "db_connections_max": m.most("db_max"),
            "cpu_us_per_request": m.median("cpu_us"),
            "rps_ratio": m.median("rps") / base_rps,
            "p99_ratio": m.median("p99") / base_p99,
        }
        if scenario.probe:
            rows[scenario.label]["live_p99_ms"] = m.median("probe_p99")
    ready = statistics.median(launches.ready)
    idle = statistics.median(launches.idle_rss)
    pinning = (
        "server pinned to CPU 0, wrk to CPU 1"
        if pinned(SERVER_CPU) and pinned(LOAD_CPU)
        else "NOT pinned (no taskset or one CPU)"
    )
    mode = "quick: 1 run" if plan.repeats == 1 else f"full: median of {plan.repeats} runs"
    lines = [
        f"## Results ({mode} of {plan.duration}s each, {CONNECTIONS} connections, {pinning})",
        "",
        "| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MB | max DB conns | CPU µs/req | req/s vs baseline | p99 vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, row in rows.items():
        lines.append(
            f"| {label} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']:.0f} "
            f"| {row['peak_rss_mb']:.0f} | {row['db_connections_max']:.0f} | {row['cpu_us_per_request']:.0f} "
            f"| {row['rps_ratio']:.2f}x | {row['p99_ratio']:.2f}x |"
        )
    empty = {
        "rps": 0.0,
        "p50_ms": 0.0,
        "p99_ms": 0.0,
        "errors": 0.0,
        "peak_rss_mb": 0.0,
        "db_connections_max": 0.0,
        "cpu_us_per_request": 0.0,
        "rps_ratio": 0.0,
        "p99_ratio": 0.0,
        "live_p99_ms": 0.0,
    }
    login = rows.get("POST /v1/auth/login", empty)
    fuzz_text = "not run (--quick)"
    if fuzz:
        outcome = "passed" if fuzz["passed"] else "FAILED"
        fuzz_text = f"{outcome}, {fuzz['examples_per_operation']} examples per operation, {fuzz['seconds']:.0f} s"
    lines += [
        "",
        "| measure | value |",
        "|---|---:|",
        f"| GET /health/live p99 during the login storm | {login['live_p99_ms']:.1f} ms |",
        f"| launch to /health/ready (median of {len(launches.ready)}) | {ready:.2f} s |",
        f"| CPU time of the server until ready (median) | {statistics.median(launches.cpu):.2f} s |",
        f"| idle RSS after start | {idle:.0f} MB |",
        f"| launch to /health/ready, otel exporting | {statistics.median(traced_launches.ready):.2f} s |",
        f"| idle RSS after start, otel exporting | {statistics.median(traced_launches.idle_rss):.0f} MB |",
        f"| copier copy (default answers, database=postgresql) | {copy_seconds:.1f} s |",
        f"| the rendered project's own tests | {f'{suite_seconds:.1f} s' if suite_seconds is not None else 'not run (--quick)'} |",
        f"| schemathesis deep run (full mode) | {fuzz_text} |",
    ]
    me, users = rows.get("GET /v1/auth/me", empty), rows.get("GET /v1/users/me", empty)
    traced_me = rows.get(OTEL_ME, empty)
    # (the scenarios a target reads, its name, met): a target whose scenarios did not run
    # (--only) is left out rather than judged on empty figures.
    checks: list[tuple[tuple[str, ...], str, bool]] = [
        (("GET /v1/auth/me",), "GET /v1/auth/me req/s >= 0.8x baseline", me["rps_ratio"] >= 0.8),
        (("GET /v1/auth/me",), "GET /v1/auth/me p99 <= 1.5x baseline", me["p99_ratio"] <= 1.5),
        (
            ("GET /v1/users/me",),
            "GET /v1/users/me req/s >= 0.8x baseline",
            users["rps_ratio"] >= 0.8,
        ),
        (("GET /v1/users/me",), "GET /v1/users/me p99 <= 1.5x baseline", users["p99_ratio"] <= 1.5),
        ((), "no errors on any scenario", all(row["errors"] == 0 for row in rows.values())),
        (
            (),
            f"DB connections within the pool ({POOL_BOUND})",
            all(row["db_connections_max"] <= POOL_BOUND for row in rows.values()),
        ),
        (("POST /v1/auth/login",), "login >= 25 req/s", login["rps"] >= 25),
        (
            ("POST /v1/auth/login",),
            "peak RSS in the login storm < 300 MB",
            login["peak_rss_mb"] < 300,
        ),
        (
            ("POST /v1/auth/login",),
            "GET /health/live p99 in the login storm < 50 ms",
            login["live_p99_ms"] < 50,
        ),
        ((), "launch to ready < 1.0 s", ready < 1.0),
        ((), "idle RSS < 90 MB", idle < 90),
        (
            (OTEL_ME, "GET /v1/auth/me"),
            "GET /v1/auth/me, otel exporting: req/s >= 0.9x without",
            traced_me["rps"] >= 0.9 * me["rps"],
        ),
    ]
    targets = [(name, ok) for needs, name, ok in checks if all(label in rows for label in needs)]
    if fuzz:
        targets.append(("schemathesis deep run passes", bool(fuzz["passed"])))
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {name} | {'yes' if ok else 'NO'} |" for name, ok in targets]
    return {
        "report": "\n".join(lines),
        "scenarios": rows,
        "pool_bound": POOL_BOUND,
        "ready_seconds": ready,
        "ready_cpu_seconds": statistics.median(launches.cpu),
        "idle_rss_mb": idle,
        "otel_ready_seconds": statistics.median(traced_launches.ready),
        "otel_idle_rss_mb": statistics.median(traced_launches.idle_rss),
        "copy_seconds": copy_seconds,
        "test_suite_seconds": suite_seconds,
        "fuzz": fuzz,
        "targets": dict(targets),
    }
