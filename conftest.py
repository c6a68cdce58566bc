"""Repository-wide pytest configuration: real infrastructure fixtures for every suite."""

pytest_plugins = ["ishc_runtime.testing.plugin"]
