"""Background batches: scheduler host, state store and batch templates. Never imports Textual."""
