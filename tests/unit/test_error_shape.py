from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError

from panel.core.api.exceptions import exception_handler
from panel.core.errors import Conflict, ValidationFailed


def test_nested_serializer_errors_become_dotted_fields() -> None:
    error = ValidationError({"contacts": [{}, {"email": ["Enter a valid email address."]}]})
    response = exception_handler(error, {})
    assert response is not None
    assert response.status_code == 400
    assert response.data["fields"] == {"contacts.1.email": ["Enter a valid email address."]}
    assert response.data["detail"] == "contacts.1.email: Enter a valid email address."


def test_application_errors_keep_status_and_field() -> None:
    response = exception_handler(Conflict("Taken.", field="handle"), {})
    assert response is not None
    assert (response.status_code, response.data["code"], response.data["fields"]) == (
        409,
        "conflict",
        {"handle": ["Taken."]},
    )


def test_model_validation_errors_are_400_with_fields() -> None:
    error = ValidationFailed.from_django(DjangoValidationError({"email": ["Bad."]}), prefix="contacts.0.")
    assert error.fields == {"contacts.0.email": ["Bad."]}
    response = exception_handler(DjangoValidationError({"handle": ["Reserved."]}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data["detail"] == "handle: Reserved."
