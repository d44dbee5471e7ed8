"""Start the embedded demo (`kpi-platform serve`) as if today were another day:

    python tests/demo_on_a_day.py 2026-01-01 --port 8001

The clock is moved with time-machine before anything runs and keeps ticking from there, so the
demo seeds and serves that day's months as it would on the day itself."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine

if __name__ == "__main__":
    day = date.fromisoformat(sys.argv[1])
    # 9 in the morning in Vietnam, when people log their work.
    time_machine.travel(datetime.combine(day, time(9, 0), ZoneInfo("Asia/Ho_Chi_Minh")), tick=True).start()
    from kpi_platform.cli import main

    sys.argv = ["kpi-platform", "serve", *sys.argv[2:]]
    main()
