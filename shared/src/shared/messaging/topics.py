"""`python -m shared.messaging.topics ensure`: create the contract topics (used by deploy/local/stack.sh)."""

from __future__ import annotations

import asyncio
import sys

from shared.messaging.kafka import ensure_topics
from shared.settings import StackSettings


def main() -> None:
    if sys.argv[1:] != ["ensure"]:
        sys.exit("usage: python -m shared.messaging.topics ensure")
    settings = StackSettings()
    created = asyncio.run(ensure_topics(settings))
    print(f"topics: {len(created)} created", file=sys.stderr)


if __name__ == "__main__":
    main()
