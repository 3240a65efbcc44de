"""Import from the old system (docs/legacy-import.md).

- mapping.py: the mapping file (mapping.toml): which old table becomes what, coded values.
- reader.py: the old database as chunks of rows after each table's high-water mark; a
  source interface, so another store of the old system can be read the same way.
- registry.py, readings.py, figures.py, history.py: the importers, by what they write.
- run.py: a run over every mapped table, its lock and its dry run; summary.py: its counts.
"""
