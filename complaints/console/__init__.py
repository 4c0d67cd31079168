"""The supervisor console's data: the period chooser, the dashboard, the report tables and their charts.

Numbers come from the report functions the API's /api/v1/stats/ uses (complaints.reports and the
sections sla and feedback register in complaints.extensions); this package only arranges them.
"""
