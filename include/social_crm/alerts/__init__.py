"""Alerts: how they reach people (notify.py: a log line, and the webhook when one is set; the
DAGs' failures and missed deadlines go the same way) and the live queue's own (run.py: messages
past their SLA, spikes.py: spikes in what people write)."""
