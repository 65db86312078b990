"""Built-in lessons (JSON, one file per lesson, in teaching order by file name)."""
