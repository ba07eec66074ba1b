"""environment.yml, pyproject.toml and constraints.txt must agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> dict[str, Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs.extend(extra)
    out = {}
    for text in reqs:
        req = Requirement(text)
        if canonicalize_name(req.name) == "fusion-study":
            continue
        out[canonicalize_name(req.name)] = req
    return out


def _environment_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)\s*(==|=)\s*([0-9][^\s#]*)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(3)
    return pins


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_environment_names_every_pyproject_package_with_a_compatible_pin():
    reqs = _pyproject_requirements()
    env = _environment_pins()
    missing = sorted(set(reqs) - set(env))
    assert not missing, f"environment.yml lacks {missing}"
    for name, req in reqs.items():
        assert req.specifier.contains(env[name], prereleases=True), (name, str(req.specifier), env[name])


def test_environment_and_constraints_pin_the_same_versions():
    env = _environment_pins()
    cons = _constraints()
    for name, version in cons.items():
        if name in env:
            assert env[name] == version, (name, env[name], version)
    reqs = _pyproject_requirements()
    for name, req in reqs.items():
        if name in cons:
            assert req.specifier.contains(cons[name], prereleases=True), (name, str(req.specifier), cons[name])


def test_environment_installs_the_project_itself():
    assert "- -e ." in (ROOT / "environment.yml").read_text(encoding="utf-8")
