"""Configuration: the standby.toml schema and its loader."""

from standby.config.loader import DEFAULT_CONFIG_NAME, find_config, load_config, parse_config
from standby.config.schema import ROLES, Capacity, Config, LoadedConfig, Role

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "ROLES",
    "Capacity",
    "Config",
    "LoadedConfig",
    "Role",
    "find_config",
    "load_config",
    "parse_config",
]
