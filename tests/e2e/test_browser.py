"""The page in a real browser (Debian's headless Chromium, driven by Selenium): upload a
clip, watch its progress bar move and the job complete, see the preview, get the ZIP."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    REPO,
    VIDVAR,
    ClipFactory,
    DaemonProcess,
    Workspace,
    free_port,
    wait_for,
    wait_job,
)

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


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
    port = free_port()
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


AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
IMPACTS = ("minor", "moderate", "serious", "critical")


def _axe_problems(driver: Any, page: str) -> list[str]:
    """Serious or critical accessibility violations axe-core finds on the open page (all
    of them are counted by impact on stdout, for the record)."""
    driver.execute_script(AXE.read_text())
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations"
        ".map((v) => [v.impact, v.id + ': ' + v.nodes.map((n) => n.target.join(' '))"
        ".join(', ')])));"
    )
    counts = {impact: sum(1 for i, _ in found if i == impact) for impact in IMPACTS}
    print(f"axe-core on {page}: {counts}")
    return [said for impact, said in found if impact in ("serious", "critical")]


def _wait_page(driver: Any, url: str) -> None:
    driver.get(url)
    wait_for(
        lambda: driver.execute_script("return document.readyState") == "complete",
        what=f"{url} to load",
    )


def test_upload_follow_watch_compare_approve_and_take_away_the_approved(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    browser: Any,
    web: str,
    tmp_path: Path,
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    driver = browser
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write(variations=3)
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="the daemon")
    # An older, completed job of the same name: the page must follow its own new job.
    name = "広告クリップ.mp4"  # a name outside Latin-1, as Japanese and Chinese teams write
    clips.make(workspace.root / name, seconds=1).rename(workspace.inbox / name)
    [older] = wait_job(workspace, "completed")
    clip = clips.make(tmp_path / name, seconds=6, size="320x240", rate=25)
    _wait_page(driver, f"{web}/upload")
    driver.find_element(By.ID, "files").send_keys(str(clip))
    driver.find_element(By.ID, "send").click()
    wait_for(lambda: "/jobs/" in driver.current_url, timeout=60, what="the page to follow the job")
    own = driver.current_url.rsplit("/", 1)[1]
    assert own != older, "the page followed the older job of the same name"
    seen: list[float] = []

    def finished() -> bool:
        try:
            state = driver.execute_script(
                "const s = document.getElementById('job-state');"
                "const p = document.getElementById('job-progress');"
                "return s && p ? [s.textContent, p.value] : null"
            )
        except WebDriverException:
            return False  # reloading, as the page does when the job ends
        if state:
            seen.append(float(state[1]))
        return bool(state) and state[0] == "completed"

    wait_for(finished, timeout=180, interval=0.2, what="the job to complete on its page")
    assert any(0 < v < 100 for v in seen), "the progress bar never moved between 0 and 100"
    assert seen == sorted(seen)
    _wait_page(driver, driver.current_url)  # the completed page, as a person reopens it
    assert driver.find_element(By.TAG_NAME, "h1").text == name
    # A variation plays.
    played = driver.execute_script(
        "const v = document.querySelector('.variation video'); v.muted = true; v.play();"
        " return true"
    )
    assert played
    wait_for(
        lambda: (
            driver.execute_script("return document.querySelector('.variation video').currentTime")
            > 0.3
        ),
        timeout=30,
        what="the first variation to play",
    )
    # The compare view loads the source beside the variation.
    driver.find_element(By.CSS_SELECTOR, ".compare-this").click()
    wait_for(
        lambda: driver.execute_script(
            "return document.getElementById('compare-source').readyState >= 1 &&"
            " document.getElementById('compare-variation').readyState >= 1"
        ),
        timeout=30,
        what="the compare view to load both videos",
    )
    # Approve two of the three, then take away exactly those, with the manifest.
    cards = driver.find_elements(By.CSS_SELECTOR, ".variation")
    assert len(cards) == 3
    chosen = []
    for card in cards[:2]:
        card.find_element(By.CSS_SELECTOR, '.verdict[data-verdict="approved"]').click()
        chosen.append(card.get_attribute("data-path"))
    wait_for(
        lambda: driver.find_element(By.ID, "approved-count").text == "2",
        what="two approved",
    )
    driver.find_element(By.ID, "zip-approved").click()
    downloads: Path = driver.downloads

    def zipped() -> list[Path]:
        return [p for p in downloads.glob("*.zip")]

    [archive] = wait_for(zipped, timeout=60, what="the ZIP download")
    wait_for(lambda: not list(downloads.glob("*.crdownload")), what="the download to finish")
    assert sorted(zipfile.ZipFile(archive).namelist()) == sorted([*chosen, "manifest.csv"])
    status = json.loads(next(workspace.output.glob(f"*{own}/status.json")).read_text())
    verdicts = [o["verdict"] for o in status["files"][0]["outputs"]]
    assert verdicts == ["approved", "approved", None]
    # Every page at a desk and on a phone, light and dark: no sideways scroll, no serious
    # accessibility problem; the screenshots stay in the run's folder.
    problems: dict[str, list[str]] = {}
    for size, (width, height) in SIZES.items():
        driver.set_window_size(width, height)
        for theme in ("light", "dark"):
            for page, path in (
                ("queue", "/"),
                ("job", f"/jobs/{own}"),
                ("upload", "/upload"),
                ("health", "/health"),
            ):
                _wait_page(driver, f"{web}{path}")
                driver.execute_script(
                    f"localStorage.setItem('vidvar-theme', '{theme}');"
                    f" document.documentElement.dataset.theme = '{theme}'"
                )
                wide = driver.execute_script(
                    "return document.documentElement.scrollWidth > window.innerWidth + 1"
                )
                assert not wide, f"{page} scrolls sideways at {width} px ({theme})"
                driver.save_screenshot(str(tmp_path / f"{page}-{size}-{theme}.png"))
                if AXE.exists() and size == "desktop":
                    problems[f"{page}-{theme}"] = _axe_problems(driver, f"{page} ({theme})")
    if AXE.exists():
        assert problems and all(not found for found in problems.values()), problems
    keep = os.environ.get("VIDVAR_SCREENSHOTS")  # where to keep them (the docs pictures)
    if keep:
        for page in ("queue", "job"):
            shutil.copy(tmp_path / f"{page}-desktop-light.png", Path(keep) / f"{page}.png")
            shutil.copy(tmp_path / f"{page}-phone-dark.png", Path(keep) / f"{page}-phone.png")
