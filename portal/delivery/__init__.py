"""Delivery of committed work: the event log drained into deliveries, and deliveries into jobs.

A delivery is one effect of one declaration version for one consumer (its PDF in a language,
an e-mail; forwarding to each authority endpoint next). The worker's drain derives them from
the events after commit and enqueues jobs that carry delivery ids only; the same sweep enqueues
again what waited too long, so a wiped Redis or a killed worker delays work but loses none.
"""
