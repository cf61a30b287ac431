"""The back office and the API docs work under the Content-Security-Policy they are served with.

The policy allows scripts only from the service itself (`script-src 'self'`), so a page
that works under it has no inline script block, no inline event handler and no
`javascript:` URL, and loads every script and stylesheet from its own origin.
"""

import re

import pytest

from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
ASSET = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["']([^"']+)["']""", re.IGNORECASE)


def assert_works_under_csp(response) -> None:
    html = response.content.decode()
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert INLINE_SCRIPT.findall(html) == []
    assert EVENT_HANDLER.findall(html) == []
    assert "javascript:" not in html.lower()
    for asset in ASSET.findall(html):
        # Same origin: a path, never a scheme or a protocol-relative host.
        assert asset.startswith("/") and not asset.startswith("//"), asset


@pytest.fixture
def staff(client, admin_user):
    staff_login(client, admin_user)
    return client


def test_the_policy_names_no_outside_host_and_denies_framing(client):
    policy = client.get("/admin/login/")["Content-Security-Policy"]

    assert "http:" not in policy and "https:" not in policy and "*" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


def test_the_admin_login_page_works_under_the_policy(client):
    assert_works_under_csp(client.get("/admin/login/"))


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/doctors/doctorprofile/",
        "/admin/doctors/availabilityslot/",
        "/admin/consultations/consultation/",
        "/admin/audit/auditentry/",
    ],
)
def test_back_office_pages_work_under_the_policy(staff, path):
    assert_works_under_csp(staff.get(path))


def test_a_change_form_with_inlines_works_under_the_policy(staff, doctor, slot):
    assert_works_under_csp(staff.get(f"/admin/doctors/doctorprofile/{doctor.pk}/change/"))
    assert_works_under_csp(staff.get(f"/admin/accounts/user/{doctor.user.pk}/change/"))


def test_the_docs_page_works_under_the_policy(client):
    response = client.get("/api/docs")

    assert_works_under_csp(response)
    assets = ASSET.findall(response.content.decode())
    # Swagger UI's code, its bootstrap and its stylesheet all come from the service.
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.startswith("/api/docs?script") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)


def test_the_docs_assets_are_served_by_the_service(client):
    html = client.get("/api/docs").content.decode()

    for asset in ASSET.findall(html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 0, asset
