"""The ports (Protocols) through which the domain reaches ML, signatures and artifact storage."""
