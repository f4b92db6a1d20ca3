"""SLA attainment: the share of decided targets that were met, against a goal.

Attainment = met / (met + breached). Targets still running or paused are not decided and do not
count; a target met late counts as breached (a breach stands). Nothing decided means no figure,
never 0 % or 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Attainment:
    """Met and breached targets of one group (a quarter, an account, a target kind...)."""

    met: int = 0
    breached: int = 0
    goal: Decimal | None = None  # the goal this group is held to, when it has one of its own

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def pct(self) -> Decimal | None:
        """Met as a percentage of decided, to one decimal; None when nothing was decided."""
        if self.decided == 0:
            return None
        return (Decimal(self.met) * 100 / Decimal(self.decided)).quantize(
            PERCENT, rounding=ROUND_HALF_UP
        )

    def meets(self, goal: Decimal | None = None) -> bool | None:
        """Whether the goal (a percentage; the group's own by default) is reached; None when nothing was
        decided or there is no goal."""
        goal = self.goal if goal is None else goal
        pct = self.pct
        if goal is None:
            return None
        return None if pct is None else pct >= goal

    def __add__(self, other: Attainment) -> Attainment:
        return Attainment(self.met + other.met, self.breached + other.breached)
