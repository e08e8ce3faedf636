"""A stand-in for the psutil module with the same call signatures and result shapes, whose
answers (and failures) each test sets. Injected into the pure sampling functions only."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import psutil

CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest guest_nice")
Freq = namedtuple("Freq", "current min max")
VirtualMemory = namedtuple("VirtualMemory", "total available percent used free")
Swap = namedtuple("Swap", "total used free percent sin sout")
Temp = namedtuple("Temp", "label current high critical")
DiskUsage = namedtuple("DiskUsage", "total used free percent")
DiskIo = namedtuple("DiskIo", "read_count write_count read_bytes write_bytes")
NetIo = namedtuple("NetIo", "bytes_sent bytes_recv packets_sent packets_recv errin errout dropin dropout")
NicStats = namedtuple("NicStats", "isup duplex speed mtu flags")

GIB = 1024 ** 3


def cpu(busy: float, idle: float) -> CpuTimes:
    return CpuTimes(user=busy, nice=0.0, system=0.0, idle=idle, iowait=0.0, irq=0.0, softirq=0.0,
                    steal=0.0, guest=0.0, guest_nice=0.0)


class FakePsutil:
    """Healthy defaults; a test replaces an attribute to change one answer, or sets
    `raises[name]` to make that call raise."""

    def __init__(self) -> None:
        self.raises: dict[str, BaseException] = {}
        self.per_core = [cpu(10.0, 90.0), cpu(30.0, 70.0)]
        self.load = (0.5, 0.4, 0.3)
        self.freq: Any = Freq(2400.0, 800.0, 3600.0)
        self.memory = VirtualMemory(total=8 * GIB, available=6 * GIB, percent=25.0, used=2 * GIB,
                                    free=5 * GIB)
        self.swap = Swap(total=GIB, used=0, free=GIB, percent=0.0, sin=0, sout=0)
        self.temps: dict[str, list[Temp]] = {"coretemp": [Temp("Package id 0", 45.0, 80.0, 100.0)]}
        self.disks: dict[str, DiskUsage] = {"/": DiskUsage(100 * GIB, 40 * GIB, 60 * GIB, 40.0)}
        self.disk_io: Any = DiskIo(10, 20, 1_000_000, 2_000_000)
        self.nics = {"lo": NetIo(5, 5, 1, 1, 0, 0, 0, 0), "eth0": NetIo(1000, 2000, 10, 20, 1, 2, 3, 4)}
        self.nic_stats = {"lo": NicStats(True, 0, 0, 65536, "up,loopback,running"),
                          "eth0": NicStats(True, 2, 1000, 1500, "up,broadcast,running,multicast")}

    def _maybe_raise(self, name: str) -> None:
        if name in self.raises:
            raise self.raises[name]

    def cpu_times(self, percpu: bool = False) -> list[CpuTimes]:
        self._maybe_raise("cpu_times")
        return list(self.per_core)

    def getloadavg(self) -> tuple[float, float, float]:
        self._maybe_raise("getloadavg")
        return self.load

    def cpu_freq(self) -> Any:
        self._maybe_raise("cpu_freq")
        return self.freq

    def cpu_count(self, logical: bool = True) -> int:
        self._maybe_raise("cpu_count")
        return len(self.per_core)

    def virtual_memory(self) -> VirtualMemory:
        self._maybe_raise("virtual_memory")
        return self.memory

    def swap_memory(self) -> Swap:
        self._maybe_raise("swap_memory")
        return self.swap

    def sensors_temperatures(self) -> dict[str, list[Temp]]:
        self._maybe_raise("sensors_temperatures")
        return self.temps

    def disk_usage(self, path: str) -> DiskUsage:
        self._maybe_raise("disk_usage")
        if path not in self.disks:
            raise FileNotFoundError(2, "No such file or directory", path)
        return self.disks[path]

    def disk_io_counters(self) -> Any:
        self._maybe_raise("disk_io_counters")
        return self.disk_io

    def net_io_counters(self, pernic: bool = False) -> dict[str, NetIo]:
        self._maybe_raise("net_io_counters")
        return dict(self.nics)

    def net_if_stats(self) -> dict[str, NicStats]:
        self._maybe_raise("net_if_stats")
        return dict(self.nic_stats)


def access_denied() -> psutil.AccessDenied:
    return psutil.AccessDenied(msg="permission to read sensors")
