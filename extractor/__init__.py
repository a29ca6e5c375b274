"""cqc-extract."""
