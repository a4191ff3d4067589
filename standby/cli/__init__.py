"""The command line: one thin module per verb; ``main()`` maps errors to exit codes."""
