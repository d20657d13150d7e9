"""Users (coaches and clients), logins and bearer tokens."""
