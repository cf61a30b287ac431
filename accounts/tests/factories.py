"""Factories for users of every role."""

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User

DEFAULT_PASSWORD = "Correct-Horse-42!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = "PATIENT"
    is_active = True
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))
