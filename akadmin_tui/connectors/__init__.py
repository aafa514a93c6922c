"""Connectors to the third-party services (one module per service). Never imports Textual."""
