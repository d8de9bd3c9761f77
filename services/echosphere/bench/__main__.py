"""``python -m echosphere.bench <scenario> ...``: the same as ``echosphere bench``."""

from __future__ import annotations

import argparse
import sys

from echosphere.bench import command


def main() -> None:
    parser = argparse.ArgumentParser(prog="echosphere")
    command.add_parser(parser.add_subparsers(dest="command", required=True))
    sys.exit(command.run(parser.parse_args(["bench", *sys.argv[1:]])))


if __name__ == "__main__":
    main()
