"""Entry point of the built apps (`flet build apk|aab|ipa|macos|windows|linux`).

pyproject.toml ``[tool.flet.app] module = "main"`` points `flet build` (and `flet test`)
here. A built app has no embedded demo server and no command line: the pro types the
marketplace's address on the sign-in screen (https, or http to this device itself), and
Flet's host (phone or desktop shell) decides how the page is shown. For running from a
checkout use ``python -m proapp`` (README).
"""

from __future__ import annotations

from pathlib import Path

import flet as ft

from proapp.app import AppConfig, build_main

ASSETS_DIR = Path(__file__).resolve().parent / "assets"

# At module level, not under `if __name__ == "__main__"`: the phone's Python host runs this
# file as the app, the way Flet's own templates do.
ft.run(build_main(AppConfig(server_url="", server_editable=True)), assets_dir=str(ASSETS_DIR))
