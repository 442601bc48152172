"""SandboxConfig: defaults and validation."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from audiencelab.sandbox import DEFAULT_API_KEY, SandboxConfig


def test_defaults_are_safe() -> None:
    config = SandboxConfig()
    assert config.host == "127.0.0.1"
    assert config.port == 8765
    assert config.db == ":memory:"
    assert config.api_keys == (DEFAULT_API_KEY,)
    assert config.max_audience_size == 10_000
    assert (config.latency_ms, config.fail_rate, config.drop_rate) == (0, 0.0, 0.0)
    assert config.rate_limit is None
    assert config.seed is None
    assert config.is_loopback
    assert config.job_seconds == config.build_seconds
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.port = 1  # type: ignore[misc]


def test_api_keys_accept_any_sequence() -> None:
    keys: Any = ["sk_test_a", "sk_test_b"]
    assert SandboxConfig(api_keys=keys).api_keys == ("sk_test_a", "sk_test_b")
    single: Any = "sk_test_a"
    assert SandboxConfig(api_keys=single).api_keys == ("sk_test_a",)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("port", -1, "port must be an integer between 0 and 65535"),
        ("port", 70000, "port"),
        ("port", True, "port"),
        ("host", "", "host"),
        ("api_keys", (), "at least one key"),
        ("api_keys", ("sk_live_123",), "sk_live_"),
        ("api_keys", ("a b",), "is not valid"),
        ("api_keys", ("sk_test_a", "sk_test_a"), "same key twice"),
        ("build_seconds", -1, "build_seconds"),
        ("build_seconds", float("nan"), "build_seconds"),
        ("max_audience_size", 0, "between 1 and 5,000,000"),
        ("max_audience_size", 5_000_001, "between 1 and 5,000,000"),
        ("max_audience_size", 10.5, "integer"),
        ("latency_ms", -1, "latency_ms"),
        ("fail_rate", 1.5, "fail_rate must be a probability"),
        ("drop_rate", -0.1, "drop_rate"),
        ("rate_limit", 0, "rate_limit"),
        ("seed", "7", "seed"),
        ("enrichment_seconds", -2, "enrichment_seconds"),
    ],
)
def test_bad_values_are_rejected(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SandboxConfig(**{field: value})


def test_fail_and_drop_rates_together() -> None:
    with pytest.raises(ValueError, match="must not exceed 1"):
        SandboxConfig(fail_rate=0.7, drop_rate=0.7)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert SandboxConfig(host=host).is_loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts(host: str) -> None:
    assert not SandboxConfig(host=host, api_keys=("sk_test_mine",)).is_loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::", "[::]"])
def test_non_loopback_hosts_refuse_the_published_key(host: str) -> None:
    with pytest.raises(ValueError, match="published default key sk_test_sandbox"):
        SandboxConfig(host=host)
    with pytest.raises(ValueError, match="not a loopback address"):
        SandboxConfig(host=host, api_keys=("sk_test_mine", DEFAULT_API_KEY))


@pytest.mark.parametrize(
    ("host", "bind"), [("[::1]", "::1"), ("::1", "::1"), (" localhost ", "localhost")]
)
def test_bind_host_drops_ipv6_brackets(host: str, bind: str) -> None:
    assert SandboxConfig(host=host).bind_host == bind
