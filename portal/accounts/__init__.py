"""People who use the web pages: accounts, their operators, sessions and account e-mails."""
