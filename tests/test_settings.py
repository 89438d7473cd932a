"""Settings are declared once, each documented in the README, and overridden by PLANSEARCH_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_app.settings import SETTINGS, load_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_each_setting_is_in_the_readme_table(setting):
    assert f"| `{setting.name}` | `{setting.default}` | {setting.help} |" in README


def test_environment_overrides_defaults_and_config_overrides_both():
    env = {"PLANSEARCH_PORT": "9000", "PLANSEARCH_HOST": "0.0.0.0"}
    assert load_settings(environ=env)["PORT"] == 9000
    assert load_settings({"PORT": 1234}, environ=env)["PORT"] == 1234
    assert load_settings(environ={})["HOST"] == "127.0.0.1"


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="PLANSEARCH_PORT='eighty'"):
        load_settings(environ={"PLANSEARCH_PORT": "eighty"})
