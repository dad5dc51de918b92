"""``python -m proapp``: run ProApp, by default against an embedded demo server.

    python -m proapp                       demo server + app in the browser (web mode)
    python -m proapp --server https://...  against a real server, no demo server
    python -m proapp --web --port 8550     force web mode on a chosen port

Web mode serves on 127.0.0.1 only; another address needs --allow-remote (then anyone
who can reach it can use the app, so only do that behind TLS on a trusted network).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import flet as ft

from proapp.api.errors import ServerUrlError
from proapp.api.urls import is_loopback_host, normalize_server_url
from proapp.app import AppConfig, build_main
from proapp.embedded import (
    EmbeddedServer,
    EmbeddedServerError,
    fetch_demo_accounts,
    free_port,
    start_embedded_server,
)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_PORT = 8550
RENDERER_ENV = "PROAPP_WEB_RENDERER"
_RENDERERS = {"auto": ft.WebRenderer.AUTO, "canvaskit": ft.WebRenderer.CANVAS_KIT}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m proapp",
        description="ProApp, the pro side of the home-services marketplace.",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="marketplace server to use (https://, or http:// on this machine). "
        "Without it a demo server with demo data starts on this machine.",
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="serve the app to a web browser (the default when no desktop window is available)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="web mode: address to serve on")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help=f"web mode: port (default {DEFAULT_PORT}, or a free one)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --host to be an address other machines can reach",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="web mode: do not open a browser tab"
    )
    parser.add_argument("--theme", choices=("system", "light", "dark"), default="system")
    parser.add_argument(
        "--web-renderer",
        choices=sorted(_RENDERERS),
        default=os.environ.get(RENDERER_ENV, "auto"),
        help=f"web mode: Flutter renderer; canvaskit for exact screenshots (env {RENDERER_ENV})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    return parser


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _desktop_available() -> bool:
    """A native window needs flet-desktop (not installed here: it downloads its client)
    and, on Linux, a display."""
    if importlib.util.find_spec("flet_desktop") is None:
        return False
    return not (sys.platform.startswith("linux") and not os.environ.get("DISPLAY"))


def _stop_on_sigterm() -> None:
    # Until Flet installs its own handler, SIGTERM would kill us without running the
    # `finally` that stops the demo server; turn it into a normal exit instead.
    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _stop_on_sigterm()

    if not is_loopback_host(args.host) and not args.allow_remote:
        print(
            f"Refusing to serve on {args.host}: other machines could reach the app. "
            "Use --host 127.0.0.1, or add --allow-remote if you really mean it.",
            file=sys.stderr,
        )
        return 2

    web = args.web or not _desktop_available()
    if not args.web and web:
        print(
            "No desktop window available here (flet-desktop is not installed or there is "
            "no display), so ProApp runs in web mode: open the address below in a browser."
        )

    server: EmbeddedServer | None = None
    if args.server:
        try:
            server_url = normalize_server_url(args.server)
        except ServerUrlError as exc:
            print(f"--server: {exc.message}", file=sys.stderr)
            return 2
        config = AppConfig(server_url=server_url, theme_mode=args.theme)
    else:
        print("Starting the demo server on this computer...")
        try:
            server = start_embedded_server()
        except EmbeddedServerError as exc:
            print(f"Could not start the demo server.\n{exc}", file=sys.stderr)
            return 1
        config = AppConfig(
            server_url=server.url,
            embedded_demo=True,
            demo_accounts=tuple(fetch_demo_accounts()),
            theme_mode=args.theme,
        )
    if args.allow_remote:
        config = AppConfig(**{**config.__dict__, "restore_session": False})

    try:
        port = args.port or (
            DEFAULT_PORT if _port_is_free(args.host, DEFAULT_PORT) else free_port(args.host)
        )
        if web:
            if args.no_browser:
                # Flet opens a browser tab in web mode when it sees a display; its
                # "web server" mode does not.
                os.environ["FLET_FORCE_WEB_SERVER"] = "true"
            host = f"[{args.host}]" if ":" in args.host else args.host
            print(f"ProApp is running at http://{host}:{port}  (press Ctrl+C to stop)", flush=True)
            ft.run(
                build_main(config),
                view=ft.AppView.WEB_BROWSER,
                host=args.host,
                port=port,
                assets_dir=str(ASSETS_DIR),
                web_renderer=_RENDERERS.get(args.web_renderer, ft.WebRenderer.AUTO),
                no_cdn=True,
            )
        else:  # pragma: no cover - needs flet-desktop and a display
            ft.run(build_main(config), view=ft.AppView.FLET_APP, assets_dir=str(ASSETS_DIR))
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
