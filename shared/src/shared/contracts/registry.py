"""Every contract by its wire type, for parsing and for the committed JSON Schema snapshots."""

from __future__ import annotations

from shared.contracts import notifications, registration, sponsorship, travel
from shared.contracts.envelope import Command, Contract

CONTRACTS: dict[str, type[Contract]] = {
    cls.TYPE: cls
    for module in (registration, sponsorship, travel, notifications)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Contract) and cls.__module__ == module.__name__
}

# The staff commands, by wire type: what the API accepts, and what each service checks the actor's role against.
COMMANDS: dict[str, type[Command]] = {name: cls for name, cls in CONTRACTS.items() if issubclass(cls, Command)}
