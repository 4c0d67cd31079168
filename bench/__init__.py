"""Performance bench of the complaint desk at a million tickets (`make bench`, see bench/README.md)."""
