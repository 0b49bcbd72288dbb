"""The fixtures every end-to-end test shares live in ``support.fixtures`` (docs/testing.md)."""

pytest_plugins = ["support.fixtures"]
