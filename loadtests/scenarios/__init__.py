"""The pieces the locust users of ``loadtests/fleet.py`` are made of.

``common`` holds the credentials, the dates and the one fleet's setup every filing user shares;
``filing`` the single-declaration calls fleet software makes; ``bulk`` the NDJSON uploads.
Each behaviour is a plain function of the user, so that several users can weigh it differently.
"""
