"""`python -m bot` is the same as `slt-bot`."""

from bot.cli import main

raise SystemExit(main())
