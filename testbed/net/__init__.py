"""Network and file-transfer models: 10/100 Mb/s Ethernet, TCP, local disks and rcp, in SimPy.

The migration layer calls::

    from testbed.net import simulate_transfer, TransferResult
    r = simulate_transfer(8_021_232, "dec5000", "ss20", network="10mbps", mode="network")
    r.tx_s, r.failed, r.reason

and adds the result to its own scan and restore times. The model is per frame, segment
and ACK (see ``ethernet``, ``tcp``), with per-packet and per-byte protocol-stack costs on
each host's CPU, so a 1990s host is CPU-bound rather than wire-bound where it was.

Split of costs in file mode: the *guest* pays, in its own instruction-level model, the CPU
cost of every write() and read() call it makes (the call itself, the trap, its own
buffering). This package covers only what lies below the call: the kernel's file-system
work per block (buffer cache, copying the block), the disk device (seek, rotation,
transfer), and rcp's remote-shell set-up and copy. Nothing here is charged twice.

A failed link (``fail_at``) or a dropped connection is reported as ``failed`` with a reason,
never silently; a migration that sees it must leave the source process running.

All parameters come from the TOML profiles (``testbed/profiles``), each with a unit and a
source; ``testbed.calibration.network`` lists the fitted ones and compares the model with the
published reference rows.
"""

from testbed.net.params import HostParams, LinkParams, load_host, load_link
from testbed.net.transfer import MODES, TransferResult, run_transfer, simulate_transfer

__all__ = [
    "MODES",
    "HostParams",
    "LinkParams",
    "TransferResult",
    "load_host",
    "load_link",
    "run_transfer",
    "simulate_transfer",
]
