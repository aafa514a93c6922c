"""The console's modal dialogs: confirmations, the key reference, and the dialogs that create or move records."""
