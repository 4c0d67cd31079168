"""The beat's schedule: every periodic job of the desk, with the intervals the environment may set
(SLA_SWEEP_SECONDS, SURVEY_SEND_INTERVAL, OUTBOX_REQUEUE_INTERVAL, MAILBOX_POLL_INTERVAL)."""

import environ


def beat_schedule(env: environ.Env) -> dict:
    """CELERY_BEAT_SCHEDULE, read from the environment once when the settings load."""
    return {
        "close-stale-resolved": {
            "task": "complaints.tasks.close_stale_resolved_tickets",
            "schedule": 3600.0,
        },
        # SLA warnings and breaches; the sweep is one indexed query when nothing is due.
        "sla-sweep": {
            "task": "sla.tasks.sweep",
            "schedule": env.float("SLA_SWEEP_SECONDS", default=60.0),
        },
        # External cases' deadline warnings and missed report-backs (regulators, platforms).
        "external-cases-sweep": {"task": "external_cases.tasks.sweep", "schedule": 60.0},
        # Bursts of similar complaints become suspected incidents (the unique surge key decides).
        "incidents-detect-surges": {"task": "incidents.tasks.detect_surges", "schedule": 120.0},
        "incidents-overdue-plan-steps": {"task": "incidents.tasks.warn_overdue_steps", "schedule": 60.0},
        # Remedies whose fulfilment is overdue warn their owner once (warned_at claimed with SKIP LOCKED).
        "remedies-overdue-fulfilment": {"task": "remedies.tasks.warn_overdue_fulfilment", "schedule": 300.0},
        # Hand-offs to partners near or past their due time unanswered: warned once each.
        "handoffs-sweep": {"task": "handoffs.tasks.sweep", "schedule": 60.0},
        # Live chat offers not taken in time and dropped agents' chats, when no agent console runs the sweep.
        "chat-sweep": {"task": "chat.tasks.sweep", "schedule": 15.0},
        "send-due-surveys": {
            "task": "feedback.tasks.send_due_surveys",
            "schedule": env.float("SURVEY_SEND_INTERVAL", default=60.0),
        },
        # The outbox: deliveries to customers whose publish after commit was lost (broker down) go again.
        "outbox-requeue": {
            "task": "channels_intake.tasks.requeue_stranded_deliveries",
            "schedule": env.float("OUTBOX_REQUEUE_INTERVAL", default=60.0),
        },
        "poll-mailboxes": {
            "task": "channels_intake.tasks.poll_mailboxes",
            "schedule": env.float("MAILBOX_POLL_INTERVAL", default=60.0),
        },
        # Anonymise closed tickets past the RetentionPolicy's period (does nothing while it is disabled).
        "apply-retention": {
            "task": "complaints.tasks.apply_retention",
            "schedule": 24 * 3600.0,
        },
        # quality: hourly, each a no-op once done (last week's sample, overdue warnings and effects).
        "quality-sample-last-week": {"task": "quality.tasks.sample_last_week", "schedule": 3600.0},
        "quality-corrective-actions": {
            "task": "quality.tasks.corrective_actions_housekeeping",
            "schedule": 3600.0,
        },
        "quality-transparency-snapshot": {
            "task": "quality.tasks.compute_transparency_snapshot",
            "schedule": 3600.0,
        },
        # The month's review pack to the Supervisors once its first working day has begun (once a month).
        "quality-review-pack": {"task": "quality.tasks.send_review_pack", "schedule": 3600.0},
        # assist: weekly retraining on the desk's resolved tickets (keeps the model in use when the new one is worse).
        "assist-train": {"task": "assist.tasks.train", "schedule": 7 * 24 * 3600.0},
    }
