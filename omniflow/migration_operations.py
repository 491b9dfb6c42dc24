"""Migration operations shared by the apps."""

from django.db.migrations.operations import AddIndex
from django.db.migrations.operations.base import Operation


class AddIndexConcurrently(AddIndex):
    """Build an index without blocking writes on PostgreSQL (CREATE INDEX CONCURRENTLY).

    For indexes added to tables that are large and written all the time (deliveries, receipts):
    a plain CREATE INDEX would hold back every insert, so every domain action that emits an
    event, until the build ends. Needs a migration with `atomic = False`. SQLite (the embedded
    default) builds it plainly.
    """

    def _concurrently(self, schema_editor) -> dict:
        return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if self._built_already(schema_editor):
                return
            schema_editor.add_index(model, self.index, **self._concurrently(schema_editor))

    def _built_already(self, schema_editor) -> bool:
        """Tell whether a valid index of this name exists; drop an invalid one.

        A migration that is not atomic is recorded only once all its operations ran: one
        stopped after this build (a deploy killed mid-migration) runs it again, and must not
        fail on "already exists". A concurrent build that failed or was cancelled leaves an
        invalid index of the name behind, which serves no query: it is built afresh.
        """
        # sqlmigrate shows what a database without the index runs.
        if schema_editor.connection.vendor != "postgresql" or schema_editor.collect_sql:
            return False
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_index.indisvalid FROM pg_index "
                "JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
                "WHERE pg_class.relname = %s AND pg_table_is_visible(pg_class.oid)",
                [self.index.name],
            )
            row = cursor.fetchone()
        if row is None:
            return False
        if row[0]:
            return True
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}"
        )
        return False

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **self._concurrently(schema_editor))


class SetFillfactor(Operation):
    """Set how full PostgreSQL fills a table's new pages (`fillfactor`), without a rewrite.

    The space left on each page lets an update that changes no indexed column stay on its page
    as a HOT update: the heap is written, none of the table's indexes. Existing pages keep their
    layout; the change takes a SHARE UPDATE EXCLUSIVE lock, so reads and writes go on. SQLite
    (the embedded default) has no such setting: nothing to do there.
    """

    reversible = True

    def __init__(self, model_name: str, fillfactor: int, previous: int = 100):
        self.model_name = model_name
        self.fillfactor = fillfactor
        self.previous = previous

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {
                "model_name": self.model_name,
                "fillfactor": self.fillfactor,
                "previous": self.previous,
            },
        )

    def state_forwards(self, app_label, state):
        pass  # a storage setting, not part of the model state

    def _set(self, app_label, schema_editor, state, fillfactor: int) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(fillfactor)})")

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._set(app_label, schema_editor, to_state, self.fillfactor)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._set(app_label, schema_editor, to_state, self.previous)

    def describe(self):
        return f"Set the fillfactor of {self.model_name}'s table to {self.fillfactor}"
