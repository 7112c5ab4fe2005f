"""yibao: records of medical-insurance fund supervision work, kept as checked YAML under git.

The package follows the pipeline: ``load`` (strict YAML, repository layout) → ``check`` (schema,
personal data, record rules, cross-record rules) → ``compute`` (calendar, deadlines, KPIs) →
``publish`` (portal); ``cli`` is a thin layer on top.
"""
__version__ = "0.1.0"
