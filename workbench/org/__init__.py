"""The organisation tree (province → city → county → grid) and the central data-scope rule."""
