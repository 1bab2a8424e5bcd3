"""OEM warranty claim figures: claims by status, receivable, rejection rate, days to submission and payment, amounts.

The claims come from `pitwall.warranty.v1` (shared/contracts/warranty.py): every event carries the claim's status and
amounts after it, so a claim's row keeps the latest by `ce_sequence`; the first submission, first decision and first
payment are kept beside it whatever order the events arrive in.
"""
