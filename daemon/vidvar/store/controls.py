"""Store: daemon-wide controls people set (a pause), shared by every daemon on the store."""

from __future__ import annotations

import json
import time

from vidvar.store.models import Pause
from vidvar.store.sqlstore import StoreCore, retrying

PAUSE = "pause"


class ControlsMixin(StoreCore):
    """set_pause, clear_pause, pause."""

    @retrying
    def set_pause(self, pause: Pause) -> None:
        """Hold new files (and with `pause.now` stop running encodes) until `pause.until`."""
        value = json.dumps({"until": pause.until, "now": pause.now, "by": pause.by})
        with self._write() as tx:
            tx.run("set_control", name=PAUSE, value=value, now=pause.at)

    @retrying
    def clear_pause(self) -> bool:
        """Resume; False when nothing was paused."""
        with self._write() as tx:
            return tx.run("delete_control", name=PAUSE) > 0

    @retrying
    def pause(self, now: float | None = None) -> Pause | None:
        """The pause in force at `now` (an expired one is None)."""
        with self._read() as tx:
            row = tx.one("get_control", name=PAUSE)
        if row is None:
            return None
        data = json.loads(row["value"])
        found = Pause(
            until=data.get("until"),
            now=bool(data.get("now")),
            by=str(data.get("by") or ""),
            at=float(row["updated_at"]),
        )
        return found if found.active(time.time() if now is None else now) else None
