"""The SNOW cluster: many co-simulated hosts on shared Ethernet segments (docs/cluster.md).

``topology`` loads clusters as data (``testbed/profiles/clusters/*.toml``); ``network``
is the shared-segment model every message crosses; ``mpd`` the per-host daemons (tid
table, per-pair FIFO queues, the default and the direct route).
"""
