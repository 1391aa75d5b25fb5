"""The core file store: uploads and generated documents kept outside the web root.

Any module that lets people attach a file (a contract scan, an ICT project document, a
knowledge article's attachment) stores it here with `services.store_upload` and keeps the
`StoredFile` id on its own record. The store checks a file's type by its content, its size,
its name and — for zip-based formats — what it would expand to; it serves a file only when
the owning record asks it to (`services.send_stored_file`), after that record has checked
the reader's scope. See docs/files.md.
"""
