"""Validation of users: phone formats, and an owner needs a customer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import Customer, User
from accounts.phones import domestic_phone, normalize_phone


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("010-1234-5678", "+821012345678"),
        ("01012345678", "+821012345678"),
        ("010 1234 5678", "+821012345678"),
        ("011-234-5678", "+82112345678"),
        ("+82 10-1234-5678", "+821012345678"),
        ("+82 010 1234 5678", "+821012345678"),
        ("+14155550123", "+14155550123"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["02-123-4567", "010-1234", "phone", "+0123456789", "010-1234-56789", ""]
)
def test_numbers_that_are_not_mobile_numbers_are_refused(typed):
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            normalize_phone(typed)
        assert caught.value.messages == [
            "Enter a mobile number such as 010-1234-5678 or +821012345678."
        ]


def test_the_domestic_form_is_what_korean_sms_providers_want():
    assert domestic_phone("+821012345678") == "01012345678"


def test_a_users_phone_is_normalised_on_validation(db):
    customer = Customer.objects.create(name="C")
    user = User(username="kim", role=User.Role.OWNER, customer=customer, phone="010-1234-5678")
    user.set_password("x")
    user.full_clean()
    assert user.phone == "+821012345678"
    user.phone = "12345"
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert set(caught.value.message_dict) == {"phone"}


def test_an_owner_needs_a_customer(db):
    owner = User(username="lee", role=User.Role.OWNER)
    owner.set_password("x")
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            owner.full_clean()
        assert caught.value.message_dict == {
            "customer": ["A plant owner needs a customer: choose whose plants they see."]
        }
    operator = User(username="park", role=User.Role.OPERATOR)
    operator.set_password("x")
    operator.full_clean()
