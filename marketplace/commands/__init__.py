"""Commands: every state-changing action, one handler each, one way to execute them.

Public surface: `handler` (register), `execute_command` (run inside the caller's
transaction), `run_command` (run and commit, for REST), `CommandContext`,
`CommandOutcome`.
"""

from marketplace.commands.framework import (
    CommandContext,
    CommandOutcome,
    CommandSpec,
    command_fingerprint,
    execute_command,
    get_command,
    handler,
    registered_commands,
    run_command,
)

__all__ = [
    "CommandContext",
    "CommandOutcome",
    "CommandSpec",
    "command_fingerprint",
    "execute_command",
    "get_command",
    "handler",
    "registered_commands",
    "run_command",
]
