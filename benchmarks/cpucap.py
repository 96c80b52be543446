"""A CPU cap for one benchmark process: a cgroup of its own with a CFS quota (`--cpu-per-process`).

On a small machine the bot's processes, the simulator and the driver share the cores, so "two processes
answer 1.7 times what one does" cannot show when one process already takes a whole core. With each bot
process capped at, say, half a core, two of them fit beside the driver, and the row measures what the
processes share (Redis, the simulator, the machine's scheduler), not how many cores are left.

Needs a writable cgroup file system (root, or a delegated cgroup): cgroup v2 (`cpu.max`) or v1's `cpu`
controller (`cpu.cfs_quota_us`). `CpuCap.check()` says why not when neither is there.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

PERIOD_US = 20_000  # short: a process that spent its quota waits at most this long (its acks too)
_V2_ROOT = Path("/sys/fs/cgroup")
_V2_UNIFIED = Path("/sys/fs/cgroup/unified")  # hybrid hierarchies mount v2 here
_V1_CPU = Path("/sys/fs/cgroup/cpu")


def _v2_root() -> Path | None:
    for root in (_V2_ROOT, _V2_UNIFIED):
        controllers = root / "cgroup.controllers"
        if controllers.exists() and "cpu" in controllers.read_text().split():
            return root
    return None


class CpuCap:
    """Cgroups capping each process put in one at `cores` cores; `close` removes them."""

    def __init__(self, cores: float) -> None:
        if not 0.05 <= cores <= 64:
            raise ValueError(f"a CPU cap takes 0.05 to 64 cores, not {cores}")
        self.cores = cores
        self.groups: list[Path] = []

    @staticmethod
    def check() -> str | None:
        """Why processes cannot be capped here (None: they can)."""
        root = _v2_root() or (_V1_CPU if (_V1_CPU / "cpu.cfs_quota_us").exists() else None)
        if root is None:
            return "no cgroup cpu controller (neither cgroup v2 with cpu nor v1's cpu) on this machine"
        probe = root / f"stbot-bench-probe-{uuid.uuid4().hex[:6]}"
        try:
            probe.mkdir()
        except OSError as exc:
            return f"cannot create a cgroup under {root}: {exc.strerror} (run as root)"
        probe.rmdir()
        return None

    def put(self, pid: int) -> None:
        """Move process `pid` into a new cgroup of its own with the cap."""
        quota = max(1000, int(self.cores * PERIOD_US))
        v2 = _v2_root()
        root = v2 or _V1_CPU
        group = root / f"stbot-bench-{uuid.uuid4().hex[:8]}"
        group.mkdir()
        self.groups.append(group)
        if v2 is not None:
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        (group / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        """Remove the cgroups (their processes have exited, or move back to the root)."""
        for group in self.groups:
            with contextlib.suppress(OSError):
                for pid in (group / "cgroup.procs").read_text().split():
                    (group.parent / "cgroup.procs").write_text(pid)
                group.rmdir()
        self.groups.clear()
