"""``python -m mibench``: the same command line as the ``mibench`` script."""

from mibench.cli import main

if __name__ == "__main__":
    main(prog_name="mibench")
