"""PVM's constants as the guests see them, read from Mlibpvm's ``pvm3.h`` (their one
definition in this tree, with the real PVM 3.4's values), so the host keeps no copy."""

from __future__ import annotations

import re

from testbed.build import INCLUDE_DIR

PVM3_HEADER = INCLUDE_DIR / "pvm3.h"
_DEFINE = re.compile(r"^#define\s+(Pvm\w+|PVM_\w+)\s+(-?\d+)\b", re.MULTILINE)

PVM: dict[str, int] = {name: int(value) for name, value in _DEFINE.findall(PVM3_HEADER.read_text())}

NO_PARENT = PVM["PvmNoParent"]
NO_TASK = PVM["PvmNoTask"]
BAD_PARAM = PVM["PvmBadParam"]
ROUTE = PVM["PvmRoute"]
ROUTE_DIRECT = PVM["PvmRouteDirect"]
TASK_HOST = PVM["PvmTaskHost"]
TASK_ARCH = PVM["PvmTaskArch"]
