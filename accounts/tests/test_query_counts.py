"""Query counts of the accounts lists: the same whatever the number of rows.

The accounts API lists nothing; its lists are the back office's users and patient
profiles. Each test measures the page over a few rows, adds three times as many (of every
role), and expects exactly the same count again, with every row on the page: a per-row
query (an N+1) fails it. The first request is made before measuring, as in steady use.
"""

from __future__ import annotations

import pytest

from accounts.models import PatientProfile, User
from accounts.tests.factories import UserFactory
from tests.backoffice import changelist

pytestmark = pytest.mark.django_db

FEW, MORE = 3, 9  # then 3 + 9 = 12: four times the first page
ROLES = ["PATIENT", "DOCTOR", "ADMIN"]

# The session, its user, the filtered and the total count, the page.
USER_CHANGELIST_QUERIES = 5
# The same; the page joins each profile's user.
PROFILE_CHANGELIST_QUERIES = 5


def test_user_changelist_query_count_does_not_grow(staff_browser, django_assert_num_queries):
    url = "/admin/accounts/user/"

    def add(count: int) -> None:
        for n in range(count):
            UserFactory(role=ROLES[n % len(ROLES)], is_staff=n % 2 == 0)

    add(FEW)
    changelist(staff_browser, url)

    with django_assert_num_queries(USER_CHANGELIST_QUERIES):
        few = changelist(staff_browser, url)
    few_total = User.objects.count()
    add(MORE)
    with django_assert_num_queries(USER_CHANGELIST_QUERIES):
        many = changelist(staff_browser, url)

    # The admin browsing is listed too.
    assert len(few) == FEW + 1 == few_total
    assert len(many) == FEW + MORE + 1 == User.objects.count()
    assert {u.role for u in many} == set(ROLES)


def test_patient_profile_changelist_query_count_does_not_grow(
    staff_browser, django_assert_num_queries
):
    url = "/admin/accounts/patientprofile/"

    def add(count: int) -> None:
        for _ in range(count):
            PatientProfile.objects.create(user=UserFactory(role="PATIENT"))

    add(FEW)
    changelist(staff_browser, url)

    with django_assert_num_queries(PROFILE_CHANGELIST_QUERIES):
        few = changelist(staff_browser, url)
    add(MORE)
    with django_assert_num_queries(PROFILE_CHANGELIST_QUERIES):
        many = changelist(staff_browser, url)

    assert len(few) == FEW
    assert len(many) == FEW + MORE
    assert len({p.user.email for p in many}) == FEW + MORE
