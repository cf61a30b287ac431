"""The back-office login, as staff go through it. Every browser test logs in here."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from accounts.selectors import user_get_by_email
from accounts.tests.factories import totp_code


def staff_login(driver: WebDriver, base_url: str, email: str, password: str) -> None:
    """Log in to /admin/ as `email` (password, then the code of the authenticator the
    factory enrolled) and wait for the dashboard; any earlier session ends."""
    driver.delete_all_cookies()
    driver.get(f"{base_url}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    code_field = WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "id_code")))
    user = user_get_by_email(email=email)
    assert user is not None, email
    code_field.send_keys(totp_code(user))
    driver.find_element(By.CSS_SELECTOR, "form [type=submit][value=Verify]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "board-today")))
