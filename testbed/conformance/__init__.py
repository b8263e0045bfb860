"""``testbed conformance``: how much of a C test suite written by others builds on the
guests, is accepted by the MCL precompiler, and migrates verified in both directions.

``suite`` finds and extracts the suite (GCC's C execution torture tests, from Debian's
gcc-12-source package), ``program`` checks one program in its own process (so a hang or
a crash costs only that program), ``report`` runs the suite over both cores and ranks the
reasons of every refusal."""
