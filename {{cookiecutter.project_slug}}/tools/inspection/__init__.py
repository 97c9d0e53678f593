"""Read-only inspection of a deployed environment: is it highly available, secure and
observable? Collection (boto3, collect.py) is kept apart from evaluation (pure checks over
a plain inventory, checks.py), so every check is tested without AWS."""
