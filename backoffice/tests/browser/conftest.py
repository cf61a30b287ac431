"""One headless Debian Chromium per module, driven through Debian's chromedriver.

`make test` and CI install `chromium` and `chromium-driver` when missing; screenshots go
to artifacts/screenshots/ (not versioned).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 900
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(
            "Browser tests need Debian's chromium and chromium-driver: "
            "apt-get install chromium chromium-driver (make test installs them)."
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(5)
    yield browser
    browser.quit()


@pytest.fixture
def screenshot(driver) -> object:
    """Save the page (its first screen, or all of it) as artifacts/screenshots/<name>.png."""

    def take(name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if full_page:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(WIDTH, max(HEIGHT, height))
        path = SCREENSHOTS / f"{name}.png"
        driver.save_screenshot(str(path))
        driver.set_window_size(WIDTH, HEIGHT)
        return path

    return take
