"""What travel knows of an airport before it asks the provider for fares (the advance-purchase curve by which it
explains a late booking's price is `shared.fare_curve`). No I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Airport:
    code: str
    lat: float
    lon: float
    tz: str
