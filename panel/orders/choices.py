from django.db import models


class BillingPeriod(models.TextChoices):
    ONE_TIME = "one_time", "One time"
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


class BillingPoint(models.TextChoices):
    ANNIVERSARY = "anniversary", "Anniversary of the registration"
    FIXED_DAY = "fixed_day", "Fixed day of the month (of January for yearly periods)"


class PricingPeriod(models.TextChoices):
    BILLING_PERIOD = "billing_period", "Same as the billing period"
    MONTHLY = "monthly", "Per month"
    YEARLY = "yearly", "Per year"


class Payment(models.TextChoices):
    PREPAY = "prepay", "Prepay (billed at the start of each period)"
    POSTPAY = "postpay", "Postpay (billed once the period is over)"


class Rating(models.TextChoices):
    STEP_PRICE = "step_price", "Step price (each unit at its tier's price, cheapest plan)"
    MATCH_PRICE = "match_price", "Match price (every unit at the reached tier's price, cheapest plan)"
    BEST_PRICE = "best_price", "Best price (each unit at the lowest price any of the account's plans offers)"


class OnCancel(models.TextChoices):
    FULL = "full", "Bill the whole period"
    PRORATE = "prorate", "Bill up to the cancellation"
    COMPENSATE = "compensate", "Keep unused prepaid time as a credit for new orders of the same service"
    REFUND = "refund", "Refund unused prepaid time"


class Operator(models.TextChoices):
    EQ = "eq", "equals"
    NE = "ne", "differs from"
    IN = "in", "is one of"
    GT = "gt", "greater than"
    GTE = "gte", "greater than or equal to"
    LT = "lt", "less than"
    LTE = "lte", "less than or equal to"
    ISNULL = "isnull", "is empty"
