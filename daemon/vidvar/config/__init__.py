"""Configuration: YAML → frozen, validated dataclasses.

- `schema`: every setting, declared once (field, default, bounds, choices)
- `reader`: validates a YAML mapping against those fields
- `load`: the file, its sections, profiles, encoders, hot folders, the database
- `topology`: folders that must not coincide, nest or chain
- `dump`: the resolved config as plain data (`check-config`)
- `locate`: which config file a command uses
"""

from vidvar.config.dump import config_as_dict, redact_url
from vidvar.config.load import EX_CONFIG, load_config, parse_config, read_watch
from vidvar.config.locate import default_config_paths, find_config_path
from vidvar.config.schema import (
    DEFAULT_EXTENSIONS,
    Config,
    DistinctnessConfig,
    EncoderProfile,
    WatchConfig,
)
from vidvar.config.service import LoggingConfig, RetentionConfig, WebConfig, WorkerConfig
from vidvar.effects.catalogue import EffectSpec, EffectsProfile, default_effects_profile
from vidvar.errors import ConfigError

__all__ = [
    "DEFAULT_EXTENSIONS",
    "EX_CONFIG",
    "Config",
    "ConfigError",
    "DistinctnessConfig",
    "EffectSpec",
    "EffectsProfile",
    "EncoderProfile",
    "LoggingConfig",
    "RetentionConfig",
    "WatchConfig",
    "WebConfig",
    "WorkerConfig",
    "config_as_dict",
    "default_config_paths",
    "default_effects_profile",
    "find_config_path",
    "load_config",
    "parse_config",
    "read_watch",
    "redact_url",
]
