import pytest

from panel.settings.env import ConfigurationError, huey_from_env, parse_database_url


def test_sqlite_urls() -> None:
    assert parse_database_url("sqlite:////var/lib/baton/db.sqlite3")["NAME"] == "/var/lib/baton/db.sqlite3"
    assert parse_database_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"
    assert parse_database_url("sqlite:///var/db.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


def test_postgres_url_with_escaped_password() -> None:
    config = parse_database_url("postgres://baton:p%40ss%3Aword@127.0.0.1:5433/baton?sslmode=disable")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("baton", "p@ss:word")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("127.0.0.1", "5433", "baton")
    assert config["OPTIONS"] == {"sslmode": "disable"}


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        parse_database_url("mysql://x@y/z")


def test_huey_defaults_to_sqlite_and_redis_url_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert huey_from_env(immediate=False)["huey_class"] == "panel.core.periodic.SqliteHuey"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    config = huey_from_env(immediate=False)
    assert config["huey_class"] == "panel.core.periodic.RedisHuey"
    assert config["url"] == "redis://127.0.0.1:6379/3"


def test_huey_worker_type_is_processes_unless_threads_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUEY_WORKER_TYPE", raising=False)
    assert huey_from_env(immediate=False)["consumer"]["worker_type"] == "process"
    monkeypatch.setenv("HUEY_WORKER_TYPE", "thread")
    assert huey_from_env(immediate=False)["consumer"]["worker_type"] == "thread"
    monkeypatch.setenv("HUEY_WORKER_TYPE", "greenlet")
    with pytest.raises(ConfigurationError, match="HUEY_WORKER_TYPE"):
        huey_from_env(immediate=False)


def test_database_url_with_a_stray_line_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL: has a line break"):
        parse_database_url("Removed stale pid file.\npostgres://baton:baton@127.0.0.1:5432/baton")
