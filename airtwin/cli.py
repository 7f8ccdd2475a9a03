"""Entry point of the ``airtwin`` console script: imports every ``airtwin/cmd_*.py`` module
(each registers its commands on the apps in :mod:`airtwin.app`), then runs the app."""

import importlib
import pkgutil

import airtwin
from airtwin.app import app

for _mod in sorted(m.name for m in pkgutil.iter_modules(airtwin.__path__)):
    if _mod.startswith("cmd_"):
        importlib.import_module(f"airtwin.{_mod}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
