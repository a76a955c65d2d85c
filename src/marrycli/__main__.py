"""Entry point of `marry` and `python -m marrycli`.

`marry --version` is answered here, before Typer (or anything else) is imported:
scripts call it in loops.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the `marry` command."""
    args = sys.argv[1:]
    if _asks_version(args):
        from marrycli import __version__

        sys.stdout.write(f"marry {__version__}\n")
        return
    from marrycli.cli.app import run

    run()


def _asks_version(args: list[str]) -> bool:
    """True if `--version` comes among the global options, before any command."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--version":
            return True
        if arg == "--db":
            i += 2
            continue
        if arg.startswith("--db=") or arg == "--debug":
            i += 1
            continue
        return False
    return False


if __name__ == "__main__":
    main()
