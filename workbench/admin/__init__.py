"""Administration pages: org units, users, roles, default homepage layouts, plugins."""
