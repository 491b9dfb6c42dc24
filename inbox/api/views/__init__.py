"""Views of the inbox API, one module per resource."""
