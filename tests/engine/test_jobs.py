"""The job manager's settings from the environment."""
from fmnist_core.engine.jobs import HEARTBEAT_TIMEOUT, default_heartbeat_timeout


def test_heartbeat_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("FMNIST_HEARTBEAT_TIMEOUT", raising=False)
    assert default_heartbeat_timeout() == HEARTBEAT_TIMEOUT == 8.0
    monkeypatch.setenv("FMNIST_HEARTBEAT_TIMEOUT", "1.5")
    assert default_heartbeat_timeout() == 1.5
    for bad in ("", "soon", "0", "-2"):  # unset, unreadable or not positive: the default
        monkeypatch.setenv("FMNIST_HEARTBEAT_TIMEOUT", bad)
        assert default_heartbeat_timeout() == HEARTBEAT_TIMEOUT
