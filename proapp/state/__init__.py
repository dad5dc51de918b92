"""Per-screen state ("view models"): what each screen shows and the actions it offers.

No Flet import here: views render these objects and forward events to them, and tests
drive them directly with fakes. Each state is `Observable`: views subscribe and
re-render on change.
"""

from proapp.state.app_state import AppState, Screen, ShellScreen, SignInScreen, Starting
from proapp.state.observable import Observable
from proapp.state.shell import ShellState
from proapp.state.signin import SignInState

__all__ = [
    "AppState",
    "Observable",
    "Screen",
    "ShellScreen",
    "ShellState",
    "SignInScreen",
    "SignInState",
    "Starting",
]
