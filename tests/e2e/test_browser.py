"""The page in a real browser (Debian's headless Chromium, driven by Selenium): upload a
clip, watch its progress bar move and the job complete, see the preview, get the ZIP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import REPO, VIDVAR, ClipFactory, DaemonProcess, Workspace, wait_for

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium and chromium-driver are not installed (./dev.sh test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never let Selenium fetch a driver or a browser
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads  # type: ignore[attr-defined]
    yield driver
    driver.quit()


@pytest.fixture
def web(workspace: Workspace, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*VIDVAR, "web", "--port", str(port), "-c", str(workspace.config_path)],
        stdout=log,
        stderr=log,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(answers, timeout=30, what="vidvar web to listen")
    yield url
    proc.terminate()
    proc.wait(timeout=15)
    log.close()


def test_upload_watch_progress_see_the_preview_and_download_the_zip(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    browser: object,
    web: str,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    driver: object = browser
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="the daemon")
    # A name outside Latin-1, as Japanese and Chinese teams name their clips.
    clip = clips.make(tmp_path / "広告クリップ.mp4", seconds=6, size="320x240", rate=25)
    driver.get(f"{web}/upload")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "files").send_keys(str(clip))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "send").click()  # type: ignore[attr-defined]
    wait_for(lambda: "/jobs/" in driver.current_url, timeout=60, what="the page to follow the job")  # type: ignore[attr-defined]
    script = (
        "return [document.getElementById('job-progress').value,"
        " document.getElementById('job-state').textContent]"
    )
    seen: list[float] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        value, state = driver.execute_script(script)  # type: ignore[attr-defined]
        seen.append(float(value))
        if state == "completed":
            break
        time.sleep(0.2)
    assert seen[-1] == 100.0, seen[-20:]
    assert any(0 < v < 100 for v in seen), "the progress bar never moved between 0 and 100"
    assert seen == sorted(seen)
    loaded = (
        "const img = document.getElementById('preview');"
        " return !document.getElementById('preview-box').hidden && img.complete && img.naturalWidth"
    )
    wait_for(lambda: driver.execute_script(loaded), timeout=30, what="the preview image")  # type: ignore[attr-defined]
    driver.save_screenshot(str(tmp_path / "job.png"))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "zip").click()  # type: ignore[attr-defined]
    downloads: Path = driver.downloads  # type: ignore[attr-defined]

    def zipped() -> list[Path]:
        return [p for p in downloads.glob("*.zip")]

    [archive] = wait_for(zipped, timeout=60, what="the ZIP download")
    wait_for(lambda: not list(downloads.glob("*.crdownload")), what="the download to finish")
    names = zipfile.ZipFile(archive).namelist()
    assert sorted(names) == ["manifest.csv", "広告クリップ_var01.mp4", "広告クリップ_var02.mp4"]
    driver.get(f"{web}/")  # type: ignore[attr-defined]
    wait_for(
        lambda: "completed" in driver.find_element(By.ID, "jobs").text,  # type: ignore[attr-defined]
        what="the queue to list the job",
    )
    driver.save_screenshot(str(tmp_path / "queue.png"))  # type: ignore[attr-defined]
    keep = os.environ.get("VIDVAR_SCREENSHOTS")  # where to keep them (the docs pictures)
    if keep:
        for name in ("queue.png", "job.png"):
            shutil.copy(tmp_path / name, Path(keep) / name)
