"""``python -m extractor`` runs the ``cqc-extract`` command line."""

from .cli import main

main()
