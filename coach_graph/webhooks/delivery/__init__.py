"""Sending webhook deliveries: the guarded HTTPS transport, the signature, the sender job."""
