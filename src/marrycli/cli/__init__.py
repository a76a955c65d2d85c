"""The command line: Typer apps whose commands parse, make one service call and emit a view.

`app` holds the global options, the command tree and the one error handler that turns
every exception into a line on stderr and an `errors.ExitStatus`; `common` the options
and parsing every command shares; one module per command group. cli never opens the
ledger itself (service does) and never branches on the output format (render does).
"""
