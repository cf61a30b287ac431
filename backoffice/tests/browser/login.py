"""The back-office login, as staff go through it. Every browser test logs in here."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def staff_login(driver: WebDriver, base_url: str, email: str, password: str) -> None:
    """Log in to /admin/ as `email` and wait for the dashboard; any earlier session ends."""
    driver.delete_all_cookies()
    driver.get(f"{base_url}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "board-today")))
