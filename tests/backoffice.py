"""Reading the back office's lists in tests."""

from typing import Any

from django.test import Client


def changelist(client: Client, url: str) -> list[Any]:
    """The rows of an admin changelist page, which must answer 200."""
    response = client.get(url)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)
