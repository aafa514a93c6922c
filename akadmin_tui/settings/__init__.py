"""Settings: the schema, the encrypted TOML file and its validation. Never imports Textual."""
