"""`python -m robot` runs the command line, like the `lae-robot` script."""

from robot.cli import main

if __name__ == "__main__":  # parser workers import the main module again: they must not run the CLI
    raise SystemExit(main())
