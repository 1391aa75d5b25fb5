"""The unified to-do inbox (待办): one TodoItem table that every module writes through."""
