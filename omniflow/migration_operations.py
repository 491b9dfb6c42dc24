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
            schema_editor.add_index(model, self.index, **self._concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **self._concurrently(schema_editor))
