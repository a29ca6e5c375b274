"""``python -m extractor`` runs the ``cqc-extract`` command line."""

from extractor.cli import main

main()
