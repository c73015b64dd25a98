"""Pure encodings: RFC 8785 canonical JSON and DSSE envelopes; the only part domain may import."""
