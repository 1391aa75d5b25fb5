"""Global search: a Whoosh index with a jieba analyzer behind a small backend interface."""
