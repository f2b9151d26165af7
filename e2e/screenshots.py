"""The README's screenshots: the demo data in a throwaway SQLite site, opened in Chromium in
both themes and on a phone, written to docs/screenshots/.

    make screenshots        # or: .venv/bin/python -m e2e.screenshots

Never touches your own data: the site runs on a temporary directory's databases.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
USERNAME, PASSWORD = "staff", "staff-demo-password"
# (file, path, width, height, colour scheme, what to scroll to the top or None)
SHOTS = (
    ("errors-light.png", "/errors/", 1440, 800, "light", None),
    ("errors-dark.png", "/errors/?resolved=true", 1440, 800, "dark", None),
    ("errors-phone.png", "/errors/", 390, 844, "dark", "#bulk-form"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def serve_demo(var_dir: str) -> tuple[subprocess.Popen, str]:
    """Migrate, seed and serve the demo site on SQLite files under ``var_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ERRORS_DATABASE_URL")}
    env.update(DEBUG="true", APP_ERRORS_DEMO="true", APP_ERRORS_VAR_DIR=var_dir)
    env.update(DEMO_USERNAME=USERNAME, DEMO_PASSWORD=PASSWORD)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "migrate", "--database=errors", "--noinput", "-v0")
    manage(env, "ensure_demo_staff")
    manage(env, "seed_demo_errors")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):  # the server is up when it answers; give it up to 30 s
        try:
            urllib.request.urlopen(f"{url}/accounts/login/", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the demo server did not start")


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{url}/")


def take(page: Page, url: str, shot: tuple) -> Path:
    name, path, width, height, scheme, top = shot
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=scheme)
    page.goto(url + path)
    page.wait_for_load_state("networkidle")
    if top:
        page.locator(top).evaluate("(element) => element.scrollIntoView()")
    target = OUT / name
    page.screenshot(path=str(target))
    return target


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as var_dir:
        server, url = serve_demo(var_dir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                log_in(page, url)
                for shot in SHOTS:
                    target = take(page, url, shot)
                    print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
