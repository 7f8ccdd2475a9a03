"""Entry point of the ``airtwin`` console script: imports every command module, runs the app."""

import importlib

from airtwin.app import app

# One module per area; each registers its commands on the apps in airtwin.app.
COMMAND_MODULES = ["airtwin.cmd_sim"]

for _name in COMMAND_MODULES:
    importlib.import_module(_name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
