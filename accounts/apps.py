from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI extension that documents the JWT authentication, and the
        # system check that the encryption keys read the stored data.
        from accounts import checks, openapi  # noqa: F401
