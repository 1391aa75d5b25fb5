"""Real-browser tests (headless Chromium via Playwright) of the core pages."""
