"""Local emulators of the third-party services, for the demo and the tests."""
