"""The group server of a cluster run: named groups of tasks with instance numbers, and
barriers that block in simulated time (PVM 3.4's pvmgs, without its own messages' cost)."""

from __future__ import annotations

import simpy

from testbed.cluster import pvm3
from testbed.protocol import DEFINES

JOIN, LEAVE, SIZE, TID, INST = (DEFINES[f"PVM_GROUP_{op}"] for op in ("JOIN", "LEAVE", "SIZE", "TID", "INST"))


class Groups:
    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.members: dict[str, dict[int, int]] = {}  # group -> instance -> tid
        self.barriers: dict[str, list[simpy.Event]] = {}

    def call(self, op: int, group: str, tid: int, argument: int) -> int:
        members = self.members.get(group)
        if op == JOIN:
            members = self.members.setdefault(group, {})
            if tid in members.values():
                return pvm3.PVM["PvmDupGroup"]
            inst = next(i for i in range(len(members) + 1) if i not in members)
            members[inst] = tid
            return inst
        if members is None:
            return pvm3.PVM["PvmNoGroup"]
        if op == SIZE:
            return len(members)
        if op == TID:
            return members.get(argument, pvm3.PVM["PvmNoInst"])
        inst = next((i for i, t in members.items() if t == (argument if op == INST else tid)), None)
        if inst is None:
            return pvm3.PVM["PvmNotInGroup"]
        if op == LEAVE:
            del members[inst]
            return pvm3.PVM["PvmOk"]
        return inst  # INST

    def barrier(self, group: str, tid: int, count: int) -> simpy.Event | int:
        """An event that fires when ``count`` members (-1: all) have reached the barrier,
        or a PVM error code."""
        members = self.members.get(group)
        if members is None:
            return pvm3.PVM["PvmNoGroup"]
        if tid not in members.values():
            return pvm3.PVM["PvmNotInGroup"]
        needed = len(members) if count == -1 else count
        if needed < 1:
            return pvm3.BAD_PARAM
        waiting = self.barriers.setdefault(group, [])
        event = self.env.event()
        waiting.append(event)
        if len(waiting) >= needed:
            for e in waiting:
                e.succeed(0)
            del self.barriers[group]
        return event
