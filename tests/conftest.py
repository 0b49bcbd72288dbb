"""The fixtures every end-to-end test shares live in ``support.fixtures``, the browser in
``support.browser`` (docs/testing.md)."""

pytest_plugins = ["support.fixtures", "support.browser"]
