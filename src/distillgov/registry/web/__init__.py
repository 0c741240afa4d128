"""Server-rendered pages: the public look-up, filing a notice, and a license with its ledger.

The pages call the same service functions as the API (same validation, same law-engine
classification, same idempotent sequenced writes); a browser authenticates with a session cookie
obtained by posting an API token to the login page, since a plain form cannot send a bearer header.
"""
