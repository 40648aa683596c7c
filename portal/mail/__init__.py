"""E-mail to drivers: the message of a declaration in the driver's language, sent over SMTP.

The embedded default has no mail server to send to: ``sink`` runs a local SMTP server that keeps
every message it is given as a ``.eml`` file under the data folder, so that what a driver would
receive can be read. Elsewhere ``PORTAL_MAIL_SMTP_URL`` names the relay.
"""
