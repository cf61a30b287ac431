"""Validation errors name their fields one way, however the serializers nest.

The module is its own URLconf: one view validating a body with nested objects, lists
of objects, lists of values and a whole-body rule.
"""

import pytest
from django.urls import path
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated

pytestmark = [pytest.mark.urls("tests.test_validation_errors"), pytest.mark.django_db]


class ItemSerializer(serializers.Serializer):
    medicine = serializers.CharField(max_length=10)
    days = serializers.IntegerField(min_value=1)


class AddressSerializer(serializers.Serializer):
    city = serializers.CharField(max_length=10)


class OrderSerializer(serializers.Serializer):
    items = ItemSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    address = AddressSerializer(required=False)
    start = serializers.IntegerField(required=False)
    end = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError("end must come after start.")
        return attrs


@api_view(["POST"])
@permission_classes([AllowAny])
def order(request):
    return success({"order": validated(OrderSerializer, request.data)})


urlpatterns = [path("api/v1/test/order", order)]

URL = "/api/v1/test/order"
GOOD_ITEM = {"medicine": "Triphala", "days": 7}


def errors_of(api_client, body):
    response = api_client.post(URL, body, format="json")
    payload = response.json()
    assert response.status_code == 400
    assert payload["code"] == "validation_error"
    return payload["errors"]


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        # An item of a list of objects: `items[1].field`, whichever item fails.
        (
            {"items": [GOOD_ITEM, {"medicine": "Ashwagandha-long", "days": 0}]},
            {"items[1].medicine", "items[1].days"},
        ),
        ({"items": [{"days": 3}]}, {"items[0].medicine"}),
        # An item of a list of values.
        ({"items": [GOOD_ITEM], "tags": ["ok", "toolong"]}, {"tags[1]"}),
        # A list item that is not an object, and a list that is not a list.
        ({"items": [5]}, {"items[0]"}),
        ({"items": "Triphala"}, {"items"}),
        # A nested object and a nested object that is not an object.
        ({"items": [GOOD_ITEM], "address": {"city": "x" * 11}}, {"address.city"}),
        ({"items": [GOOD_ITEM], "address": "Pune"}, {"address"}),
        # A rule over the whole body.
        ({"items": [GOOD_ITEM], "start": 5, "end": 1}, {"nonFieldErrors"}),
    ],
)
def test_error_keys_have_one_spelling(api_client, body, keys):
    assert set(errors_of(api_client, body)) == keys


def test_no_error_key_is_snake_case_or_dotted_by_index(api_client):
    errors = errors_of(
        api_client,
        {"items": [5, {"days": "x"}], "tags": [1234], "address": [], "start": 2, "end": 1},
    )

    assert {"items[0]", "items[1].days", "tags[0]", "address"} <= set(errors)
    for key in errors:
        assert "non_field_errors" not in key
        assert ".0" not in key and ".1" not in key
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_a_valid_nested_body_passes(api_client):
    response = api_client.post(URL, {"items": [GOOD_ITEM], "tags": ["a"]}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["order"]["items"] == [GOOD_ITEM]
