"""A fake car maker's warranty system: takes claims, answers by signed webhook, serves recalls, fails on request."""
