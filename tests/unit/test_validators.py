import pytest
from django.core.exceptions import ValidationError

from panel.accounts.validators import validate_country, validate_handle, validate_phone, validate_usable_email


@pytest.mark.parametrize("handle", ["a", "alice", "web-shop_2", "x" * 32])
def test_valid_handles(handle: str) -> None:
    validate_handle(handle)


@pytest.mark.parametrize(
    ("handle", "code"),
    [
        ("", "required"),
        ("Alice", "uppercase"),
        ("ALICE", "uppercase"),
        ("x" * 33, "max_length"),
        ("1alice", "invalid"),
        ("al ice", "invalid"),
        ("al.ice", "invalid"),
        ("alice\n", "invalid"),
        ("{{x}}", "invalid"),
        ("root", "reserved"),
        ("www-data", "reserved"),
        ("postfix", "reserved"),
        ("mail", "reserved"),
        ("bin", "reserved"),
        ("systemd-network", "reserved"),
    ],
)
def test_invalid_handles_name_the_reason(handle: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_handle(handle)
    assert excinfo.value.code == code


@pytest.mark.parametrize("email", ["a@example.com", "first.last+tag@sub.domain.org"])
def test_usable_emails(email: str) -> None:
    validate_usable_email(email)


@pytest.mark.parametrize("email", ["", "plain", "a@localhost", "a@host", "a@b.local", "a@@b.org", "a@b.org\n"])
def test_unusable_emails(email: str) -> None:
    with pytest.raises(ValidationError):
        validate_usable_email(email)


def test_phone_and_country() -> None:
    validate_phone("+34 93 123 45 67")
    validate_phone("")
    validate_country("ES")
    for bad_phone in ["call me", "+34;rm -rf", "+34 93 123\n"]:
        with pytest.raises(ValidationError):
            validate_phone(bad_phone)
    for bad_country in ["es", "ESP", "E1"]:
        with pytest.raises(ValidationError):
            validate_country(bad_country)
