"""Telling people what happened: emails through SES and creators' webhooks, both fed by one queue."""
