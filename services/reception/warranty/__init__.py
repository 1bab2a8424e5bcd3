"""Warranty claims towards the car maker (OEM): drafted at invoice, validated, queued, submitted, decided by signed webhooks.

`domain/` holds the pure rules (lifecycle, validation, corrections, drafting, time cards); `tables.py` the rows; `claims.py` and
`oem_status.py` the use cases; `oem.py` the HTTP client of the OEM; `worker.py` the submission queue loop;
`recalls.py` the recall port against the OEM; `api.py` the warranty clerk's REST and the webhook endpoint.
"""
