"""Exports: any list a person can see, as an .xlsx workbook, within their data scope.

A module declares an ExportKind (columns with translated labels and value getters, and the
same scoped query its list page uses, built from the page's filters); small exports stream
straight to the browser, large ones become a background job whose file only its creator can
download. See docs/imports.md.
"""
