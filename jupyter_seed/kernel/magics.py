"""``%seed`` and ``%%seed``: argument parsing and printing over :class:`Seeder`."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..evidence.harness import run_cell_body
from ..seeding.seeder import Seeder
from ..seeding.seeds import entropy_seed, parse_seed_text


def _seed_argument(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_seed_text(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _exclusive(args: Any, *pairs: tuple[str, str]) -> None:
    for first, second in pairs:
        if getattr(args, first.replace("-", "_")) and getattr(args, second.replace("-", "_")):
            raise UsageError(f"--{first} and --{second} cannot be used together")


@magics_class
class SeedMagics(Magics):
    def __init__(self, shell: Any, seeder: Seeder) -> None:
        super().__init__(shell)
        self.seeder = seeder

    @magic_arguments()
    @argument("seed", nargs="?", help="integer in [0, 4294967295]; reseeds every random source now")
    @argument(
        "--per-cell",
        nargs="?",
        const="same",
        choices=("same", "derived"),
        help="reseed before every cell: 'same' (default) with the seed itself, 'derived' with "
        "sha256(seed, cell id) so each cell has its own reproducible stream",
    )
    @argument("--no-per-cell", action="store_true", help="stop reseeding before every cell")
    @argument(
        "--deterministic",
        nargs="?",
        const="strict",
        choices=("strict", "warn"),
        help="switch on deterministic algorithms (torch, TensorFlow, cuDNN, cuBLAS, XLA); "
        "'warn' makes torch warn instead of raise on nondeterministic ops",
    )
    @argument("--no-deterministic", action="store_true", help="switch deterministic algorithms off again")
    @argument("--random", action="store_true", help="draw a seed from OS entropy, apply it and print it")
    @argument(
        "--patch-default-rng",
        action="store_true",
        help="make numpy.random.default_rng() without a seed draw from the active seed",
    )
    @argument("--no-patch-default-rng", action="store_true", help="undo --patch-default-rng")
    @argument("-q", "--quiet", action="store_true", help="print nothing on success")
    @argument(
        "--check",
        action="store_true",
        help="cell magic: run the cell --runs times from the same seed and report whether "
        "its outputs and assigned names are identical",
    )
    @argument("--runs", type=int, default=None, help="with --check: how many runs (default 2, at least 2)")
    @argument(
        "--sweep",
        metavar="SEEDS",
        default=None,
        help="cell magic: run the cell once per seed ('0:100', '0:100:5', '1,7,3407') and summarise "
        "its last expression (a number or a dict of numbers)",
    )
    @argument("--minimize", action="store_true", help="with --sweep: lower is better (best seed = lowest)")
    @line_cell_magic
    def seed(self, line: str = "", cell: str | None = None) -> Any:
        """Seed every random source in the kernel: random, NumPy, PyTorch, TensorFlow, Keras.

        %seed                  show the status (seed, modes, every source, warnings)
        %seed 3407             reseed everything now; frameworks imported later are seeded on import
        %seed 3407 --per-cell  also reseed with 3407 before every cell
        %seed --per-cell derived   reseed each cell with a seed derived from (seed, cell id)
        %seed --deterministic  deterministic algorithms on (also 'warn'); --no-deterministic off
        %seed --random         use a fresh seed from OS entropy and print it

        %%seed 3407            run this cell under seed 3407, then restore every source's state
        %%seed --check [N]     run the cell twice (--runs K) from the same seed; report any difference
        %%seed --sweep 0:100   run the cell once per seed; summarise its last expression, with a histogram
        """
        args = parse_argstring(self.seed, line)
        if cell is not None:
            return self._cell(args, cell)
        return self._line(args)

    def _line(self, args: Any) -> Any:
        cell_only = [name for name in ("check", "sweep", "minimize") if getattr(args, name)]
        if cell_only or args.runs is not None:
            flag = "--" + (cell_only[0] if cell_only else "runs")
            raise UsageError(f"{flag} belongs to the cell magic %%seed, not to the line magic %seed")
        _exclusive(
            args,
            ("per-cell", "no-per-cell"),
            ("deterministic", "no-deterministic"),
            ("patch-default-rng", "no-patch-default-rng"),
        )
        seed = _seed_argument(args.seed)
        if args.random and seed is not None:
            raise UsageError("give either a seed or --random, not both")
        per_cell = "off" if args.no_per_cell else args.per_cell
        deterministic = "off" if args.no_deterministic else args.deterministic
        patch = True if args.patch_default_rng else (False if args.no_patch_default_rng else None)
        if seed is None and not args.random and per_cell is None and deterministic is None and patch is None:
            from ..views.status import StatusView  # deferred: html rendering is not needed at load

            return StatusView(self.seeder.state())
        if per_cell not in (None, "off") and seed is None and not args.random and self.seeder.seed is None:
            raise UsageError("per-cell reseeding needs a seed: %seed N --per-cell")

        origin = "user"
        if args.random:
            seed, origin = entropy_seed(), "random"
        messages: list[str] = []
        if deterministic is not None:
            warnings = self.seeder.set_deterministic(deterministic)
            messages.append(f"Deterministic mode: {deterministic}.")
            messages += [f"warning: {w}" for w in warnings]
        if seed is not None:
            report = self.seeder.seed_everything(seed, origin=origin)
            messages.append(str(report))
            if origin == "random":
                messages.append(f"Seed drawn from OS entropy; repeat this run with `%seed {seed}`.")
        if per_cell is not None:
            self.seeder.set_per_cell(per_cell)
            if per_cell == "off":
                messages.append("Per-cell reseeding off.")
            else:
                messages.append(f"Per-cell reseeding: {per_cell} (seed {self.seeder.seed}).")
        if patch is not None:
            self.seeder.set_patch_default_rng(patch)
            messages.append(
                "numpy.random.default_rng() without a seed now draws from the active seed."
                if patch
                else "numpy.random.default_rng() restored."
            )
        if not args.quiet:
            print("\n".join(messages))
        return None

    def _cell(self, args: Any, cell: str) -> Any:
        line_only = [
            name
            for name in ("per_cell", "no_per_cell", "deterministic", "no_deterministic",
                         "patch_default_rng", "no_patch_default_rng")
            if getattr(args, name)
        ]
        if line_only:
            flag = "--" + line_only[0].replace("_", "-")
            raise UsageError(f"{flag} belongs to the line magic %seed, not to the cell magic %%seed")
        if args.sweep is not None:
            return self._sweep(args, cell)
        if args.runs is not None and not args.check:
            raise UsageError("--runs goes with --check: %%seed --check --runs 3")
        if args.minimize:
            raise UsageError("--minimize goes with --sweep: %%seed --sweep 0:10 --minimize")
        if args.check and args.runs is not None and args.runs < 2:
            raise UsageError(f"--runs must be at least 2, got {args.runs}")
        seed = _seed_argument(args.seed)
        if args.random:
            if seed is not None:
                raise UsageError("give either a seed or --random, not both")
            seed = entropy_seed()
            print(f"Cell seed drawn from OS entropy: {seed}")
        if seed is None:
            seed = self.seeder.applied_seed
            if seed is None and not args.check:  # unseeded, --check runs the cell as it is
                raise UsageError("%%seed needs a seed, e.g. %%seed 3407")
        if args.check:
            return self._check(cell, seed, args.runs or 2, quiet=args.quiet)
        with self.seeder.seeded(seed):
            return run_cell_body(self.shell, cell)

    def _check(self, cell: str, seed: int | None, runs: int, *, quiet: bool) -> Any:
        from ..evidence.cell_check import check_cell
        from ..evidence.harness import validate_runs
        from ..seeding.errors import describe_error

        try:
            validate_runs(runs)
        except ValueError as error:
            raise UsageError(str(error)) from None
        try:
            report, last = check_cell(self.shell, self.seeder, cell, seed, runs)
        except SyntaxError as error:
            raise UsageError(f"the cell does not parse: {describe_error(error)}") from None
        if report.verdict == "failed" and last.error is not None:
            raise last.error
        if not (quiet and report.ok):
            print(report)
        if last.error is not None:
            raise last.error
        return last.value

    def _sweep(self, args: Any, cell: str) -> Any:
        from ..evidence.sweeps import parse_seeds, sweep_cell

        for name in ("check", "random"):
            if getattr(args, name):
                raise UsageError(f"--{name} cannot be used with --sweep")
        if args.runs is not None:
            raise UsageError("--runs goes with --check, not with --sweep")
        if args.seed is not None:
            raise UsageError("--sweep takes its seeds from SEEDS; drop the positional seed")
        try:
            seeds = parse_seeds(args.sweep)
        except ValueError as error:
            raise UsageError(str(error)) from None
        try:
            return sweep_cell(self.shell, self.seeder, cell, seeds, higher_is_better=not args.minimize)
        except SyntaxError as error:
            raise UsageError(f"the cell does not parse: {error}") from None
        except ValueError as error:
            raise UsageError(str(error)) from None
