"""``%seed`` and ``%%seed``: argument parsing and printing over :class:`Seeder`."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..seeding.messages import short_text
from ..seeding.seeder import Seeder
from ..seeding.seeds import entropy_seed, parse_seed_text
from .magic_parsers import HelpShown, parse_cell, parse_line


def _seed_argument(text: str | None) -> int | None:
    """The positional seed: the rule and message of every door (``parse_seed_text``)."""
    if text is None:
        return None
    try:
        return parse_seed_text(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _runs_argument(text: str | None) -> int:
    """``--runs K`` of ``%%seed --check``: the rule and message of ``jupyter-seed check --runs``."""
    from ..evidence.options import DEFAULT_RUNS, parse_runs  # only --check reads it

    if text is None:
        return DEFAULT_RUNS
    try:
        return parse_runs(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


@magics_class
class SeedMagics(Magics):
    def __init__(self, shell: Any, seeder: Seeder) -> None:
        super().__init__(shell)
        self.seeder = seeder

    @line_cell_magic
    def seed(self, line: str = "", cell: str | None = None) -> Any:
        """Seed every random source in the kernel: random, NumPy, PyTorch, TensorFlow, Keras.

        %seed                  show the status (seed, modes, every source, warnings)
        %seed 3407             reseed everything now; frameworks imported later are seeded on import
        %seed 3407 --per-cell  also reseed with 3407 before every cell
        %seed --per-cell derived   reseed each cell with a seed derived from (seed, cell id)
        %seed --deterministic  deterministic algorithms on (also 'warn'); --no-deterministic off
        %seed --no-processes   stop seeding pool/executor/joblib tasks and spawned ranks (on by default)
        %seed --random         use a fresh seed from OS entropy and print it
        %seed -h               every flag of the line magic (--per-cell {same,derived,off},
                               --no-per-cell, --deterministic {strict,warn,off}, --no-deterministic,
                               --patch-default-rng, --no-patch-default-rng, -q)

        %%seed 3407            run this cell under seed 3407, then restore every source's state
        %%seed --check [N]     run the cell twice (--runs K) from the same seed; report any difference
        %%seed --sweep 0:100   run the cell once per seed; summarise its last expression, with a histogram
        %%seed -h              every flag of the cell magic
        %%seed --sweep 0:20 --save base        keep it as 'base' (base.jsonl: a file, resumable)
        %%seed --sweep 0:20 --compare base     is this cell better than 'base', or was it the seed?
        """
        try:
            if cell is not None:
                return self._cell(parse_cell(line), cell)
            return self._line(parse_line(line))
        except HelpShown:
            return None

    def _line(self, args: Any) -> Any:
        seed = _seed_argument(args.seed)
        if args.random and seed is not None:
            raise UsageError("give either a seed or --random, not both")
        per_cell, deterministic, patch = args.per_cell, args.deterministic, args.patch_default_rng
        other_settings = (args.workers, args.save_state, args.load_state, args.processes)
        if seed is None and not args.random and per_cell is None and deterministic is None and patch is None \
                and other_settings == (None, None, None, None):
            from ..views.status import StatusView  # deferred: html rendering is not needed at load
            from .state_contract import build_state

            return StatusView(build_state(self.seeder))
        if per_cell not in (None, "off") and seed is None and not args.random and self.seeder.seed is None:
            raise UsageError("per-cell reseeding needs a seed: %seed N --per-cell")

        if args.load_state is not None:  # an unreadable file is refused before anything changes
            from ..seeding.checkpoint import CheckpointError, read_state_file

            try:
                read_state_file(args.load_state)
            except CheckpointError as error:
                raise UsageError(str(error)) from None
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
        messages += self._workers_checkpoint_and_provenance(args)
        if not args.quiet:
            print("\n".join(messages))
        return None

    def _workers_checkpoint_and_provenance(self, args: Any) -> list[str]:
        """--workers, --load-state and --save-state, then the provenance stamp (unless --quiet)."""
        messages: list[str] = []
        if args.workers is not None:
            self.seeder.set_workers(args.workers)
            messages.append(
                "DataLoader workers: DataLoaders created from now on get jupyter-seed's worker seeding."
                if args.workers
                else "DataLoader workers: left to torch again."
            )
        if args.processes is not None:
            self.seeder.set_processes(args.processes)
            messages.append(
                "Processes: tasks of pools, executors and joblib, and spawned ranks, start seeded."
                if args.processes
                else "Processes: left alone (no per-task or per-rank seeding)."
            )
        if args.load_state is not None or args.save_state is not None:
            messages += self._checkpoint(args)
        if not args.quiet:
            from ..seeding.provenance import stamp  # reads every framework's version: not on a quiet path

            messages.append(f"Provenance: {stamp(self.seeder.provenance())}")
        return messages

    def _checkpoint(self, args: Any) -> list[str]:
        from ..seeding.checkpoint import CheckpointError, load_state, read_state_file, save_state

        messages: list[str] = []
        try:
            if args.load_state is not None:
                names = load_state(args.load_state, self.seeder)
                messages.append(f"Restored {', '.join(names) or 'nothing'} from {short_text(args.load_state)}.")
            if args.save_state is not None:
                names = save_state(args.save_state, self.seeder)
                messages.append(f"Saved {', '.join(names) or 'nothing'} to {short_text(args.save_state)}.")
                skipped = read_state_file(args.save_state)[0].get("skipped", {})
                messages += [f"warning: {name} not saved: {reason}" for name, reason in skipped.items()]
        except CheckpointError as error:
            raise UsageError(str(error)) from None
        return messages

    def _cell(self, args: Any, cell: str) -> Any:
        if args.sweep is not None:
            return self._sweep(args, cell)
        if args.runs is not None and not args.check:
            raise UsageError("--runs goes with --check: %%seed --check --runs 3")
        if args.localize and not args.check:
            raise UsageError("--localize goes with --check: %%seed --check --localize")
        if args.minimize:
            raise UsageError("--minimize goes with --sweep: %%seed --sweep 0:10 --minimize")
        if args.save is not None or args.compare is not None:
            flag = "--save" if args.save is not None else "--compare"
            raise UsageError(f"{flag} goes with --sweep: %%seed --sweep 0:20 {flag} NAME")
        runs = _runs_argument(args.runs) if args.check else None
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
        if runs is not None:
            return self._check(cell, seed, runs, quiet=args.quiet, localize=args.localize)
        with self.seeder.seeded(seed):
            from ..evidence.harness import run_cell_body  # only cell magics run cells

            return run_cell_body(self.shell, cell)

    def _check(self, cell: str, seed: int | None, runs: int, *, quiet: bool, localize: bool = False) -> Any:
        from ..evidence.checks.cell import check_cell
        from ..seeding.messages import describe_error

        try:
            report, last = check_cell(self.shell, self.seeder, cell, seed, runs, localize=localize)
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
        from ..evidence.sweeps.store import parse_seeds
        from ..evidence.sweeps.sweep import sweep_cell

        for name in ("check", "random", "localize"):
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
        from ..evidence.sweeps.store import StoreError, load_sweep, named_sweeps
        from ..seeding.messages import describe_error, short_text

        for name in (args.save, args.compare):
            if name is not None and (not name.strip() or not name.isprintable()):
                raise UsageError(f"a sweep name must be printable text, got {short_text(repr(name))}")
        if args.save is not None and args.save == args.compare:
            raise UsageError(f"--save and --compare name the same sweep {short_text(args.save)!r}")
        saved = named_sweeps(self.shell)
        baseline = saved.get(args.compare) if args.compare is not None else None
        if args.compare is not None and baseline is None:
            if not args.compare.endswith(".jsonl"):
                raise UsageError(
                    f"no sweep saved as {short_text(args.compare)!r} in this kernel; "
                    f"run %%seed --sweep SEEDS --save {short_text(args.compare)} first"
                )
            try:
                baseline = load_sweep(args.compare, higher_is_better=not args.minimize)
            except (OSError, StoreError) as error:
                raise UsageError(describe_error(error)) from None
        store = args.save if args.save is not None and args.save.endswith(".jsonl") else None
        try:
            result = sweep_cell(
                self.shell,
                self.seeder,
                cell,
                seeds,
                higher_is_better=not args.minimize,
                save=store,
                rank_seed=self.seeder.seed,  # "seed 3407 ranks 2nd of 20": the one you would have reported
            )
        except SyntaxError as error:
            raise UsageError(f"the cell does not parse: {describe_error(error)}") from None
        except ValueError as error:  # includes a store written by other code
            raise UsageError(str(error)) from None
        if args.save is not None:
            saved[args.save] = result
        if baseline is None:
            return result
        from ..evidence.sweeps.compare import ComparisonResult

        return ComparisonResult(
            {args.compare: baseline, args.save or "this cell": result},
            higher_is_better=not args.minimize,
            interrupted=result.interrupted,
        )
