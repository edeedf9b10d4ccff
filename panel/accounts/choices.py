from django.db import models


class AccountType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    COMPANY = "company", "Company"
    ASSOCIATION = "association", "Association"
    PUBLIC_BODY = "public_body", "Public body"
    STAFF = "staff", "Staff / internal"


class ContactUsage(models.TextChoices):
    BILLING = "billing", "Billing"
    TECHNICAL = "technical", "Technical"
    EMERGENCY = "emergency", "Emergency"


class UserRole(models.TextChoices):
    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer"
