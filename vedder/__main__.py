"""``python -m vedder``."""

from vedder.cli.app import main

main()
