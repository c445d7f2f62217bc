"""The ``jupyter-seed`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._version import __version__
from .seeds import parse_seed_text


def _seed(text: str) -> int:
    try:
        return parse_seed_text(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _OneLineErrors(argparse.ArgumentParser):
    """Bad flags get one error line, not argparse's usage block first."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(
        prog="jupyter-seed", description="Reproducible Jupyter kernels: seeding, checks and sweeps."
    )
    parser.add_argument("--version", action="version", version=f"jupyter-seed {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    kernelspec = commands.add_parser(
        "kernelspec",
        help="install a kernelspec that fixes PYTHONHASHSEED and CUBLAS_WORKSPACE_CONFIG from kernel start",
    )
    kernelspec.add_argument("--name", default="python3-seeded", help="kernelspec name (default: %(default)s)")
    kernelspec.add_argument("--display-name", help="name shown in the launcher")
    kernelspec.add_argument(
        "--hash-seed", type=_seed, default=0, help="PYTHONHASHSEED for the kernel (default: %(default)s)"
    )
    kernelspec.add_argument("--seed", type=_seed, help="also run `%%seed SEED` when the kernel starts")
    kernelspec.add_argument(
        "--no-autoload", action="store_true", help="do not load the extension when the kernel starts"
    )
    where = kernelspec.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument("--sys-prefix", action="store_true", help="install into sys.prefix (this environment)")
    where.add_argument("--prefix", help="install under this prefix")
    kernelspec.set_defaults(handler=_kernelspec)

    from .notebook_check import add_parser as add_check_parser  # nbclient itself loads only when a check runs

    add_check_parser(commands)
    return parser


def _kernelspec(args: argparse.Namespace) -> int:
    from .kernelspec import install

    prefix = sys.prefix if args.sys_prefix else args.prefix
    path = install(
        name=args.name,
        hash_seed=args.hash_seed,
        display_name=args.display_name,
        autoload=not args.no_autoload,
        seed=args.seed,
        user=args.user,
        prefix=prefix,
    )
    print(f"Installed kernelspec {args.name!r} in {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args))
    except (ValueError, TypeError, OSError) as error:
        print(f"jupyter-seed: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
