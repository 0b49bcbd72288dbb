"""The fixtures every end-to-end test shares live in ``support.fixtures``, the browser in
``support.browser`` and plain-HTTP console clients in ``support.console_http`` (docs/testing.md)."""

pytest_plugins = ["support.fixtures", "support.browser", "support.console_http"]
