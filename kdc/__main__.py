"""``python -m kdc`` runs the ``kdc`` command."""

from kdc.cli import main

main()
