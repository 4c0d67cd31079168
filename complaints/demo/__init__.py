"""The demo loader behind `manage.py seed_demo`: data tables (`data.py`), reference data and accounts
(`reference.py`), bulk-inserted tickets (`tickets.py`) and their timelines (`timelines.py`)."""
