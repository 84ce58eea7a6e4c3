"""The one thing pyproject.toml cannot say: the repository's top-level conf/ (its place is fixed) ships
inside the package as viewmaker_cli/conf/, so an installed wheel composes its configs without a checkout.
Everything else about the build is in pyproject.toml."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

# conf/ and each folder below it become viewmaker_cli.conf[.group...]: package data, not code.
conf_packages = ["viewmaker_cli.conf" + "".join(f".{part}" for part in d.relative_to("conf").parts)
                 for d in [Path("conf"), *sorted(p for p in Path("conf").rglob("*") if p.is_dir())]]

setup(
    packages=find_namespace_packages(include=["viewmaker_cli*", "hydra_plugins*"], exclude=["*.__pycache__"]) + conf_packages,
    package_dir={"viewmaker_cli.conf": "conf"},
    package_data={"viewmaker_cli": ["data/embedded/**/*"], **{name: ["*.yaml"] for name in conf_packages}},
)
