"""The configurable homepage (工作台): widget layouts per user and default layouts per role."""
