"""MCL: the migration-enabling source tools (C front end, Type-Information tables, precompiler)."""
