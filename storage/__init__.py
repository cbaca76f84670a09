"""Storage: SQLModel tables, the async engine, one module of typed functions per feature, migrations."""
