"""A test-only Django app for the scale-out test's consumers: one harmless periodic task that records each of its
runs, so the test can count how often a periodic slot ran with two consumers (tests/e2e/test_redis_scaleout.py)."""
