"""Settings from ``ECHO_*`` variables: what parses, and the one line every wrong value gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from echosphere.config import Limits, RateLimit, Settings, SettingsError, load_settings

SECRET_A = "a" * 40
SECRET_B = "b" * 40


def test_no_variables_give_the_documented_defaults() -> None:
    """An empty environment gives the defaults: sqlite, memory adapters, 500-member groups."""
    settings = load_settings({})
    assert settings.store_url.startswith("sqlite:")
    assert (settings.kv_url, settings.bus_url, settings.sms_url) == ("memory://",) * 2 + ("log://",)
    assert settings.limits == Limits()
    assert settings.limits.group_max_members == 500
    assert (settings.code_ttl, settings.code_attempts) == (300, 5)


def test_values_are_parsed_to_their_types() -> None:
    """Rates become RateLimit, counts int, seconds float, keys (kid, secret) pairs."""
    settings = load_settings(
        {
            "ECHO_RATE_IP": "5/20",
            "ECHO_RATE_USER": "0.5/3",
            "ECHO_RATE_AUTH": "1/2",
            "ECHO_GROUP_MAX_MEMBERS": "3",
            "ECHO_ACCESS_TTL": "60",
            "ECHO_HEARTBEAT": "2.5",
            "ECHO_JWT_KEYS": f"new:{SECRET_A}, old:{SECRET_B}",
            "ECHO_STORE_URL": "sqlite:///tmp/x.db",
            "ECHO_LOG_FORMAT": "json",
        }
    )
    assert settings.limits.rate_ip == RateLimit(rate=5.0, burst=20)
    assert settings.limits.rate_user == RateLimit(rate=0.5, burst=3)
    assert settings.limits.rate_auth == RateLimit(rate=1.0, burst=2)
    assert settings.limits.group_max_members == 3
    assert settings.access_ttl == 60
    assert settings.heartbeat == 2.5
    assert settings.jwt_keys == (("new", SECRET_A), ("old", SECRET_B))
    assert settings.store_url == "sqlite:///tmp/x.db"
    assert settings.log_format == "json"


def test_variables_beat_command_line_defaults() -> None:
    """An override from the command line is used unless a variable sets the same field."""
    assert load_settings({}, access_ttl=30).access_ttl == 30
    assert load_settings({"ECHO_ACCESS_TTL": "60"}, access_ttl=30).access_ttl == 60
    limits = Limits(group_max_members=7)
    assert load_settings({}, limits=limits).limits.group_max_members == 7
    mixed = load_settings({"ECHO_RATE_IP": "1/1"}, limits=limits).limits
    assert (mixed.group_max_members, mixed.rate_ip) == (7, RateLimit(rate=1.0, burst=1))


def test_keys_come_from_a_file(tmp_path: Path) -> None:
    """ECHO_JWT_KEYS_FILE is read when ECHO_JWT_KEYS is absent, and loses to it otherwise."""
    keys = tmp_path / "keys"
    keys.write_text(f"filed:{SECRET_A}\n")
    assert load_settings({"ECHO_JWT_KEYS_FILE": str(keys)}).jwt_keys == (("filed", SECRET_A),)
    both = {"ECHO_JWT_KEYS_FILE": str(keys), "ECHO_JWT_KEYS": f"env:{SECRET_B}"}
    assert load_settings(both).jwt_keys == (("env", SECRET_B),)


def test_test_variables_are_not_settings() -> None:
    """ECHO_TEST_* variables belong to the test suite and are ignored."""
    assert load_settings({"ECHO_TEST_CLUSTER": "kind"}) == load_settings({})


def case(row_id: str, variables: dict[str, str], name: str, *fragments: str) -> object:
    """A row: ``variables`` fail on ``name`` with a message holding each fragment."""
    return pytest.param(variables, name, fragments, id=row_id)


@pytest.mark.parametrize(
    ("variables", "name", "fragments"),
    [
        case(
            "store-unknown-scheme",
            {"ECHO_STORE_URL": "mysql://x"},
            "ECHO_STORE_URL",
            "unknown scheme 'mysql'; expected ",
            "sqlite",
        ),
        case(
            "store-no-scheme",
            {"ECHO_STORE_URL": "echosphere.db"},
            "ECHO_STORE_URL",
            "'echosphere.db'",
            "sqlite",
        ),
        case(
            "kv-unknown-scheme",
            {"ECHO_KV_URL": "memcached://x"},
            "ECHO_KV_URL",
            "'memcached'",
            "memory",
        ),
        case(
            "sms-unknown-scheme", {"ECHO_SMS_URL": "twilio://x"}, "ECHO_SMS_URL", "'twilio'", "log"
        ),
        case(
            "rate-not-a-number",
            {"ECHO_RATE_IP": "fast"},
            "ECHO_RATE_IP",
            "'fast'",
            "'<tokens per second>/<burst>'",
        ),
        case("rate-without-burst", {"ECHO_RATE_USER": "5"}, "ECHO_RATE_USER", "'5'", "/<burst>"),
        case("rate-zero", {"ECHO_RATE_AUTH": "0/5"}, "ECHO_RATE_AUTH", "'0/5'", "positive"),
        case("burst-zero", {"ECHO_RATE_SEND": "5/0"}, "ECHO_RATE_SEND", "'5/0'", "positive"),
        case("ttl-with-unit", {"ECHO_ACCESS_TTL": "15m"}, "ECHO_ACCESS_TTL", "'15m'", "positive"),
        case("ttl-zero", {"ECHO_CODE_TTL": "0"}, "ECHO_CODE_TTL", "'0'", "positive"),
        case("seconds-nan", {"ECHO_HEARTBEAT": "nan"}, "ECHO_HEARTBEAT", "'nan'", "positive"),
        case(
            "group-size-negative",
            {"ECHO_GROUP_MAX_MEMBERS": "-1"},
            "ECHO_GROUP_MAX_MEMBERS",
            "'-1'",
            "positive",
        ),
        case(
            "log-format-unknown",
            {"ECHO_LOG_FORMAT": "xml"},
            "ECHO_LOG_FORMAT",
            "'xml'",
            "text, json",
        ),
        case("jwt-key-short", {"ECHO_JWT_KEYS": "k1:short"}, "ECHO_JWT_KEYS", "'kid:secret'", "32"),
        case("jwt-key-no-kid", {"ECHO_JWT_KEYS": f":{SECRET_A}"}, "ECHO_JWT_KEYS", "'kid:secret'"),
        case(
            "jwt-key-file-missing",
            {"ECHO_JWT_KEYS_FILE": "/nonexistent/keys"},
            "ECHO_JWT_KEYS_FILE",
            "cannot read",
            "/nonexistent/keys",
        ),
        case(
            "unknown-variable", {"ECHO_STORE_PATH": "/tmp/x"}, "ECHO_STORE_PATH", "unknown setting"
        ),
    ],
)
def test_wrong_value_is_one_line_naming_the_variable(
    variables: dict[str, str], name: str, fragments: tuple[str, ...]
) -> None:
    """Each wrong value raises SettingsError: one line, the variable first, then what is wrong."""
    with pytest.raises(SettingsError) as caught:
        load_settings(variables)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{name}: "), message
    for fragment in fragments:
        assert fragment in message, message


def test_secrets_are_not_echoed() -> None:
    """A refused key or admin token is not repeated in the error line."""
    for variables in (
        {"ECHO_JWT_KEYS": "k1:not-long-enough-secret"},
        {"ECHO_ADMIN_TOKEN": "hunter2"},
    ):
        with pytest.raises(SettingsError) as caught:
            load_settings(variables)
        assert next(iter(variables.values())).split(":")[-1] not in str(caught.value)


def test_repeated_kid_is_refused() -> None:
    """Two keys with one kid are refused at start rather than breaking every token."""
    with pytest.raises(SettingsError):
        load_settings({"ECHO_JWT_KEYS": f"k1:{SECRET_A},k1:{SECRET_B}"})


def test_nan_rate_is_refused() -> None:
    """A NaN rate is not a positive rate."""
    with pytest.raises(SettingsError):
        load_settings({"ECHO_RATE_IP": "nan/5"})


def test_settings_object_is_frozen() -> None:
    """Settings are built once and cannot be changed afterwards."""
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.access_ttl = 1  # type: ignore[misc]
