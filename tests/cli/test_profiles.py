"""The config file's profiles (``audiencelab.load_profile``): what is read, what is refused, what
is warned about, and that the key is never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiencelab import ConfigurationError, config_file_path, load_profile

KEY = "sk_live_profile_secret_789"


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_file_is_in_the_users_config_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/somewhere/config")
    assert config_file_path() == Path("/somewhere/config/audiencelab/config.toml")


def test_a_named_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[profiles.work]\napi_key = "{KEY}"\nbase_url = "https://api.example"\n'
        '[profiles.other]\napi_key = "sk_other_1234"\n',
    )
    profile = load_profile("work", path, environ={})
    assert profile is not None
    assert profile.name == "work"
    assert profile.path == path
    assert profile.api_key is not None
    assert profile.api_key.reveal() == KEY
    assert profile.base_url == "https://api.example"
    assert profile.warnings == ()
    assert KEY not in repr(profile)
    other = load_profile("other", path, environ={})
    assert other is not None
    assert other.base_url is None
    assert other.api_key is not None
    assert other.api_key.reveal() == "sk_other_1234"


def test_which_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'default_profile = "b"\n[profiles.a]\napi_key = "sk_a_1234"\n'
        '[profiles.b]\napi_key = "sk_b_1234"\n[profiles.c]\n',
    )

    def chosen(name: str | None, env: dict[str, str]) -> str | None:
        profile = load_profile(name, path, environ=env)
        return None if profile is None else profile.name

    assert chosen(None, {}) == "b"  # the file's default
    assert chosen(None, {"AUDIENCELAB_PROFILE": "a"}) == "a"  # the environment's
    assert chosen("c", {"AUDIENCELAB_PROFILE": "a"}) == "c"  # the one asked for
    assert chosen(None, {"AUDIENCELAB_PROFILE": ""}) == "b"  # empty: not set
    profile = load_profile("c", path, environ={})
    assert profile is not None
    assert profile.api_key is None


def test_no_profile_asked_for_and_none_by_default(tmp_path: Path) -> None:
    assert load_profile(None, tmp_path / "missing.toml", environ={}) is None
    path = write(tmp_path, '[profiles.a]\napi_key = "sk_a_1234"\n')
    assert load_profile(None, path, environ={}) is None


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ('[profiles.a]\napi_key = "k"\n', "b", "no profile 'b' in {path} (its profiles: a); add a "
         "[profiles.b] table, or choose one of them"),
        ("x = 1\n", "b", "no profile 'b' in {path} (its profiles: none)"),
        ('[profiles.a]\napi_kee = "k"\n', "a", "{path}, [profiles.a]: unknown key 'api_kee'; did "
         "you mean 'api_key'?"),
        ('[profiles.a]\ncolour = "k"\n', "a", "{path}, [profiles.a]: unknown key 'colour'; a "
         "profile has api_key, base_url"),
        ("[profiles.a]\napi_key = 12\n", "a", "{path}, [profiles.a]: api_key must be a string in "
         "quotes"),
        ("[profiles.a]\nbase_url = 12\n", "a", "{path}, [profiles.a]: base_url must be a string in "
         "quotes"),
        ('profiles = "a"\n', "a", "{path}: profiles must be tables: [profiles.NAME]"),
        ("default_profile = 3\n", None, "{path}: default_profile must be the name of a profile"),
        ("[profiles.a\n", "a", "the config file {path} is not valid TOML: "),
    ],
)  # fmt: skip
def test_mistakes_are_refused_naming_the_file(
    tmp_path: Path, text: str, name: str | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_profile(name, path, environ={})
    assert str(caught.value).startswith(message.format(path=path))
    assert caught.value.setting == "profile"


def test_a_secret_in_a_broken_file_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, f'[profiles.a]\napi_key = "{KEY}" junk\n')
    with pytest.raises(ConfigurationError) as caught:
        load_profile("a", path, environ={})
    assert KEY not in str(caught.value)
    path.write_bytes(b'[profiles.a]\napi_key = "\xff"\n')
    with pytest.raises(ConfigurationError, match="is not valid TOML"):
        load_profile("a", path, environ={})


def test_a_profile_asked_for_without_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigurationError) as caught:
        load_profile(None, missing, environ={"AUDIENCELAB_PROFILE": "w"})
    assert str(caught.value) == (
        f"profile 'w' asked for, but there is no config file {missing}: create it with a "
        '[profiles.w] table holding api_key = "..."'
    )
    assert caught.value.setting == "profile"
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigurationError) as caught:
        load_profile("w", folder, environ={})
    assert str(caught.value) == f"cannot read the config file {folder}: Is a directory"
    assert caught.value.setting == "profile"


def test_the_defaults_are_the_users_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "audiencelab").mkdir()
    write(tmp_path / "audiencelab", '[profiles.a]\napi_key = "sk_a_1234"\n[profiles.b]\n')
    monkeypatch.setenv("AUDIENCELAB_PROFILE", "a")
    profile = load_profile()
    assert profile is not None
    assert profile.name == "a"
    assert profile.path == tmp_path / "audiencelab" / "config.toml"
    monkeypatch.setenv("AUDIENCELAB_PROFILE", "c")
    with pytest.raises(ConfigurationError, match=r"\(its profiles: a, b\)"):
        load_profile()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize(
    ("mode", "warned"),
    [(0o600, False), (0o400, False), (0o640, True), (0o604, True), (0o644, True), (0o610, True)],
)
def test_a_file_others_can_read_is_warned_about(tmp_path: Path, mode: int, warned: bool) -> None:
    path = write(tmp_path, f'[profiles.a]\napi_key = "{KEY}"\n', mode)
    profile = load_profile("a", path, environ={})
    assert profile is not None
    if warned:
        assert profile.warnings == (
            f"{path} holds API keys and other users of this machine can read or change it (mode "
            f"{mode:o}): make it private with `chmod 600 {path}`",
        )
    else:
        assert profile.warnings == ()
