"""The public page a declaration's QR code opens: is it valid today, and what does it declare.

No key is needed: the token in the code is the key (128 random bits per version), and answers
are rate-limited per client address so that tokens cannot be guessed at speed.
"""
