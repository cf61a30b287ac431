from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI extension that documents the JWT authentication.
        from accounts import openapi  # noqa: F401
        from accounts.auth_state import user_deleted, user_saved

        # The authentication cache follows the user row; the model knows nothing of it.
        user = self.get_model("User")
        post_save.connect(user_saved, sender=user, dispatch_uid="accounts.auth_state.saved")
        post_delete.connect(user_deleted, sender=user, dispatch_uid="accounts.auth_state.deleted")
