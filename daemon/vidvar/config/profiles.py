"""The `profiles` (effects) and `encoders` sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidvar.config.reader import Section, read_fields, type_name
from vidvar.config.schema import EncoderProfile
from vidvar.effects.catalogue import (
    CATALOGUE,
    EffectSpec,
    EffectsProfile,
    default_effects_profile,
)
from vidvar.errors import ConfigError

PROFILE_MIN_DISTANCE = 0.15


def _read_effect(file: Path, name: str, data: Any, path: str) -> EffectSpec:
    effect = CATALOGUE[name]
    low, high = effect.default_range
    if data is True or data is None:
        data = {}
    section = Section(
        file, data, path, {"probability", "range"} if effect.has_range else {"probability"}
    )
    probability = effect.profile_probability
    if section.has("probability"):
        value = section.data["probability"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise section.error("probability", f"expected a number from 0 to 1, found {value!r}")
        probability = float(value)
    if section.has("range"):
        value = section.data["range"]
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        )
        if not ok:
            raise section.error(
                "range", f"expected a list of two numbers [low, high], found {value!r}"
            )
        low, high = float(value[0]), float(value[1])
        lim_low, lim_high = effect.limits
        if low > high or low < lim_low or high > lim_high:
            raise section.error(
                "range", f"expected low <= high within [{lim_low:g}, {lim_high:g}], found {value!r}"
            )
    return EffectSpec(name=name, probability=probability, low=low, high=high)


def read_profiles(file: Path, data: Any) -> dict[str, EffectsProfile]:
    profiles = {"default": default_effects_profile()}
    if data is None:
        return profiles
    if not isinstance(data, dict):
        raise ConfigError(
            file, "profiles", f"expected a mapping of profile names, found {type_name(data)}"
        )
    for name, body in data.items():
        path = f"profiles.{name}"
        section = Section(file, body, path, {"min_distance", "effects"})
        effects_data = section.data.get("effects")
        if not isinstance(effects_data, dict) or not effects_data:
            raise section.error(
                "effects",
                f"expected a mapping of effect names to settings, found {type_name(effects_data)}",
            )
        specs = []
        for effect_name, effect_body in effects_data.items():
            if effect_name not in CATALOGUE:
                raise ConfigError(
                    file,
                    f"{path}.effects.{effect_name}",
                    f"unknown effect; expected one of: {', '.join(CATALOGUE)}",
                )
            if effect_body is not False:
                specs.append(
                    _read_effect(file, effect_name, effect_body, f"{path}.effects.{effect_name}")
                )
        distance = section.data.get("min_distance", PROFILE_MIN_DISTANCE)
        if isinstance(distance, bool) or not isinstance(distance, int | float):
            raise section.error("min_distance", f"expected a number, found {type_name(distance)}")
        if not 0 <= distance <= 1:
            raise section.error(
                "min_distance", f"expected a number from 0 to 1, found {distance!r}"
            )
        profiles[str(name)] = EffectsProfile(str(name), float(distance), tuple(specs))
    return profiles


def read_encoders(file: Path, data: Any) -> dict[str, EncoderProfile]:
    encoders = {"default": EncoderProfile(name="default")}
    if data is None:
        return encoders
    if not isinstance(data, dict):
        raise ConfigError(
            file, "encoders", f"expected a mapping of encoder names, found {type_name(data)}"
        )
    for name, body in data.items():
        values, _section = read_fields(
            EncoderProfile, file, body, f"encoders.{name}", skip=frozenset({"name"})
        )
        encoders[str(name)] = EncoderProfile(name=str(name), **values)
    return encoders
