"""Events per second per topic, from two looks at the topics' end offsets. No I/O."""

from __future__ import annotations


def per_second(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    """Records appended to each topic per second between two looks (0 for a topic new since the first look, or
    recreated: its offsets went back)."""
    if seconds <= 0:
        return {topic: 0.0 for topic in after}
    return {topic: max(0, end - before.get(topic, end)) / seconds for topic, end in after.items()}
