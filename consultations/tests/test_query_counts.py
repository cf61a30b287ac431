"""Query counts of the consultation lists: the same whatever the number of rows.

Each test measures a request over a few consultations, adds three times as many (with
other patients, doctors and statuses), and expects exactly the same count again, with
every consultation in the answer: a per-row query (an N+1) fails it. The caller's first
request is made before measuring, so its authentication state is cached as in steady use.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from doctors.models import SlotStatus
from doctors.tests.factories import DoctorProfileFactory, SlotFactory
from tests.backoffice import staff_login

from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/consultations"
FEW, MORE = 3, 9  # then 3 + 9 = 12 consultations: four times the first read, one page
STATUSES = ["PENDING", "ACTIVE", "COMPLETED", "CANCELLED", "NO_SHOW"]

# The count and the page (the slot joined). The doctor's filter joins their profile in
# the same query.
LIST_QUERIES = 2
LIST_FILTERED_QUERIES = 2


def consult(*, patient: Any = None, doctor: Any = None, n: int = 0) -> Any:
    """A consultation with its own slot; a new patient or doctor unless one is given."""
    slot = SlotFactory(doctor=doctor or DoctorProfileFactory(), status=SlotStatus.BOOKED)
    return ConsultationFactory(
        slot=slot,
        patient=patient or UserFactory(role="PATIENT"),
        status=STATUSES[n % len(STATUSES)],
    )


def listed(client: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    response = client.get(LIST_URL, params or {})
    assert response.status_code == 200, response.content
    return response.json()["data"]["consultations"]


@pytest.mark.parametrize("role", ["patient", "doctor", "admin_user"])
def test_the_list_query_count_does_not_grow_with_the_consultations(
    request, client_for, django_assert_num_queries, role
):
    # Each of a patient's consultations is with a new doctor, each of a doctor's with a
    # new patient, and the admin sees everyone's; other callers' rows are added alongside.
    caller = request.getfixturevalue(role)
    user = getattr(caller, "user", caller)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            if role == "patient":
                consult(patient=caller, n=n)
            elif role == "doctor":
                consult(doctor=caller, n=n)
            else:
                consult(n=n)
            if role != "admin_user":
                consult(n=n)  # someone else's: never listed

    client = client_for(user)
    add(FEW, 0)
    listed(client)

    with django_assert_num_queries(LIST_QUERIES):
        few = listed(client)
    add(MORE, FEW)
    with django_assert_num_queries(LIST_QUERIES):
        many = listed(client)

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert {c["status"] for c in many} == set(STATUSES)
    if role == "patient":
        assert {c["patientId"] for c in many} == {str(user.pk)}
        assert len({c["doctorId"] for c in many}) == FEW + MORE
    elif role == "doctor":
        assert {c["doctorId"] for c in many} == {str(caller.pk)}
        assert len({c["patientId"] for c in many}) == FEW + MORE


def test_the_filtered_list_query_count_does_not_grow(client_for, doctor, django_assert_num_queries):
    # Status and a start-time window together, as the doctor (whose scope is a join).
    client = client_for(doctor.user)
    params = {"status": "PENDING", "from": "2000-01-01", "to": "2100-12-31"}

    def add(count: int) -> None:
        for n in range(count):
            consult(doctor=doctor)
            consult(doctor=doctor, n=n % 4 + 1)  # never PENDING: filtered out

    add(FEW)
    listed(client)

    with django_assert_num_queries(LIST_FILTERED_QUERIES):
        few = listed(client, params)
    add(MORE)
    with django_assert_num_queries(LIST_FILTERED_QUERIES):
        many = listed(client, params)

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert {c["status"] for c in many} == {"PENDING"}


# --- The back office's list: /admin/consultations/consultation/ ----------------------------

# The session, its user, the bounded count of the filtered list (no count of the whole
# table: show_full_result_count is off), the page (patient, doctor with user, slot,
# notes and prescription joined), the doctors of the doctor filter.
CHANGELIST_QUERIES = 5


def test_the_changelist_query_count_does_not_grow(admin_user, django_assert_num_queries):
    client = Client()
    staff_login(client, admin_user)
    url = "/admin/consultations/consultation/"

    def page() -> list[Any]:
        response = client.get(url)
        assert response.status_code == 200
        return list(response.context["cl"].result_list)

    for n in range(FEW):
        consult(n=n)
    page()

    with django_assert_num_queries(CHANGELIST_QUERIES):
        few = page()
    for n in range(FEW, FEW + MORE):
        consult(n=n)
    with django_assert_num_queries(CHANGELIST_QUERIES):
        many = page()

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert len({c.doctor_id for c in many}) == len({c.patient_id for c in many}) == FEW + MORE
