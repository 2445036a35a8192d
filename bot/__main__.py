"""`python -m bot` behaves exactly like the `citebot` command."""

from bot.cli import main

raise SystemExit(main())
