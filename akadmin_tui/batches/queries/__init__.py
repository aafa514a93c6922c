"""Every SQL statement of the state database, behind named functions, one module per subject."""
