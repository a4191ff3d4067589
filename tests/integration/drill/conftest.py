from tests.integration.failover.conftest import cli_config, loaded, world  # noqa: F401 - shared fixtures
