"""The bundled business modules. Each sub-package is a plugin declared in pyproject.toml's
`workbench.plugins` entry points exactly as a third-party distribution would declare it."""
