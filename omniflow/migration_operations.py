"""Migration operations shared by the apps."""

from django.db.migrations.operations import AddIndex


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
            self._drop_invalid_leftover(schema_editor)
            schema_editor.add_index(model, self.index, **self._concurrently(schema_editor))

    def _drop_invalid_leftover(self, schema_editor) -> None:
        # A concurrent build that failed or was cancelled (a deploy killed mid-migration)
        # leaves an invalid index of this name behind: without this, running the migration
        # again would fail on "already exists" while the index serves no query.
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
                "WHERE pg_class.relname = %s AND pg_table_is_visible(pg_class.oid) "
                "AND NOT pg_index.indisvalid",
                [self.index.name],
            )
            invalid = cursor.fetchone() is not None
        if invalid:
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **self._concurrently(schema_editor))
