"""One way of writing dates per language (FORMAT_MODULE_PATH), the same on every page and in every e-mail.

Chinese readers get 2026年11月24日 14:30, English readers 24 Nov 2026, 14:30: 24-hour clocks in both,
the long and the short format alike, so a due time reads the same in the queue and on the ticket.
"""
