"""A real HTTP server (gunicorn on 127.0.0.1) and a logged-in client that times requests."""

import contextlib
import http.client
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench.environment import BASE_DIR

STARTUP_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator["Server"]:
    """One sync worker, so every request is timed alone and the worker's memory is one
    process's memory."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "app_errors_site.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync",
        "--timeout", "300", "--log-level", "warning",
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=output)
        try:
            server = Server(port=port, master_pid=process.pid)
            server.wait_until_ready(process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Server:
    def __init__(self, *, port: int, master_pid: int) -> None:
        self.port, self.master_pid = port, master_pid

    def wait_until_ready(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if self.worker_pid() is not None:
                    return
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start in time")

    def worker_pid(self) -> int | None:
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children")
        pids = children.read_text().split() if children.exists() else []
        return int(pids[0]) if pids else None

    def worker_peak_rss_kb(self) -> int:
        """The worker's high-water resident set (VmHWM) in KiB."""
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))


class Client:
    """Plain http.client requests carrying a session cookie: no browser, no caching."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, float]:
        """Returns status, body and seconds from sending to the last byte read."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            content = response.read()
            elapsed = time.perf_counter() - started
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content, elapsed

    def log_in(self, username: str, password: str) -> None:
        """Through the real login form, CSRF token and all."""
        status, page, _ = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status} without a CSRF token")
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            body={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            },
            headers={"Referer": f"http://127.0.0.1:{self.port}/accounts/login/"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"logging in as {username} failed ({status})")
