"""A governed `run_sql` for checks that remembers which datasets its queries read: a check's facts are about
them, whatever its inputs are called (a drift's `reference` and `current` are SELECTs), and the ledger files
each result under them."""

from __future__ import annotations

from typing import Any

from aios_workbench.core.errors import UsageError


class ReadingRunner:
    """A governed `run_sql` as `user` that remembers the datasets its queries read."""

    def __init__(self, queries: Any, *, user: str, surface: str, run_id: str | None = None):
        self._queries, self._user, self._surface, self._run_id = queries, user, surface, run_id
        self.read: set[str] = set()

    def __call__(self, sql: str) -> Any:
        # a check's statements are the service's own and their rows stay here (only statistics leave): the
        # workspace's row cap for answers does not cut them, which would make a statistic wrong and look right
        result = self._queries.run(sql, user=self._user, surface=self._surface, run_id=self._run_id,
                                   internal=True)
        table = result.to_arrow()
        self.read.update(str(name).lower() for name in result.datasets)
        if result.truncated:
            raise UsageError(f"a check's query needed more than {result.max_rows:,} rows; its statistics would "
                             "be computed on part of the data", input="check",
                             fix="compare fewer rows (a sample or a shorter period in a parenthesised SELECT)")
        return table

    def take(self) -> set[str]:
        """The datasets read since the last `take`."""
        read, self.read = self.read, set()
        return read
