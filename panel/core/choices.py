from django.db import models


class ChangeAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SOFT_DELETE = "soft_delete", "Soft delete"
    DISABLE = "disable", "Disable"
    ENABLE = "enable", "Enable"
    SET_PASSWORD = "set_password", "Set password"
    TOKEN_CREATE = "token_create", "Create API token"
    TOKEN_REVOKE = "token_revoke", "Revoke API token"
