"""The seeder: active seed, per-cell mode, deterministic mode, and the sources.

Everything user-facing (magic, comm, CLI) is a thin layer over :class:`Seeder`.
Every public method validates all of its input before it changes anything, so a
bad call leaves the state exactly as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._version import __version__
from .boundary import describe_source, deterministic_notes, version_of
from .import_hook import PostImportFinder
from .messages import describe_error
from .modes import PerCellMode, normalize_deterministic, normalize_per_cell, normalize_workers
from .process_settings import ProcessSettings
from .report import SeedReport
from .seeds import derive_seed, validate_seed
from .source_list import SourceList
from .sources import DeterministicMode, RandomSource

if TYPE_CHECKING:
    from .default_rng_patch import DefaultRngPatch
    from .workers import DataLoaderPatch

NUMPY_RANDOM = "numpy.random"


class Seeder(ProcessSettings):
    """Owns the seeding configuration of one Python process."""

    def __init__(self, sources: list[RandomSource] | None = None) -> None:
        self._sources = SourceList(sources)
        self.seed: int | None = None
        self.seed_origin: str | None = None
        self.applied_seed: int | None = None
        self.per_cell: PerCellMode = "off"
        self.deterministic: DeterministicMode = "off"
        self.patch_default_rng = False
        self.extension_loaded = False
        self.workers = False
        self._seeded_with: dict[str, int] = {}
        self._errors: dict[str, str] = {}
        self._deterministic_warnings: dict[str, list[str]] = {}
        self._hook_error: str | None = None
        self._rng_counter = 0
        self._derived_cache: dict[tuple[int, str], int] = {}
        self._listeners: list[Callable[[], None]] = []
        self._import_hook: PostImportFinder | None = None

    # Created on first use: most kernels never patch DataLoaders or default_rng.
    @cached_property
    def _workers(self) -> DataLoaderPatch:
        from .workers import DataLoaderPatch

        return DataLoaderPatch()

    @cached_property
    def _default_rng(self) -> DefaultRngPatch:
        from .default_rng_patch import DefaultRngPatch

        return DefaultRngPatch(self._seeded_generator_or_none)

    def _patches(self) -> list[DataLoaderPatch | DefaultRngPatch]:
        return [self.__dict__[name] for name in ("_workers", "_default_rng") if name in self.__dict__]

    # ----------------------------------------------------------------- sources
    @property
    def sources(self) -> list[RandomSource]:
        """Every source in seeding order (imports every adapter, never a library)."""
        return self._sources.all()

    def _loaded_sources(self) -> list[RandomSource]:
        return self._sources.loaded()

    @property
    def seeded_with(self) -> dict[str, int]:
        """A copy of {source name: the seed it last took}; changing it changes nothing here."""
        return dict(self._seeded_with)

    @property
    def import_hook(self) -> PostImportFinder | None:
        """The post-import finder, once a seed or a mode has installed it (read-only)."""
        return self._import_hook

    def _ensure_import_hook(self) -> None:
        hook = self._import_hook
        if hook is not None and sys.meta_path and sys.meta_path[0] is hook:
            return  # already first on the meta path: the answer to nearly every seed_everything
        if self._import_hook is None:
            watched = self._sources.watched_modules() | {NUMPY_RANDOM}
            self._import_hook = PostImportFinder(sorted(watched), self._on_import)
        self._import_hook.install()

    # -------------------------------------------------------------- listeners
    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every configuration change."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self) -> None:
        if not self._listeners:
            return
        for listener in list(self._listeners):
            try:
                listener()
            except Exception as error:  # noqa: BLE001 - a front end must not break seeding
                print(f"jupyter-seed: state listener failed: {describe_error(error)}", file=sys.stderr)

    # ---------------------------------------------------------------- seeding
    def seed_everything(
        self, seed: object, *, deterministic: object = None, workers: object = None, origin: str = "user"
    ) -> SeedReport:
        value = validate_seed(seed)
        mode = None if deterministic is None else normalize_deterministic(deterministic)
        enable_workers = None if workers is None else normalize_workers(workers)
        warnings = () if mode is None else tuple(self._set_deterministic(mode))
        self.seed = value
        self.seed_origin = origin
        report = self._apply(value, warnings)
        if enable_workers is not None:
            self._set_workers(enable_workers)
        self._ensure_import_hook()
        self._notify()
        return report

    def _apply(self, seed: int, warnings: tuple[str, ...] = ()) -> SeedReport:
        """:meth:`reseed`, plus a report of what took the seed, what failed, what waits for import."""
        sources = self._sources
        sources.load_plugins()  # before the hot path reads the list
        self.reseed(seed)
        errors = self._errors
        if errors:
            live = sources.live_names
            seeded = tuple(name for name in live if name not in errors)
            failed = {name: errors[name] for name in live if name in errors}
        else:
            seeded, failed = sources.live_names, {}
        return SeedReport.from_fields((seed, seeded, failed, sources.waiting, warnings))

    def reseed(self, seed: int) -> None:
        """Hot path for the per-cell hook: no report, no listeners, no allocation to speak of.

        Restarts :meth:`rng`'s stream count: the k-th ``rng()`` after a reseed is stream k.
        """
        self._seed_live_sources(seed)
        self._rng_counter = self.tasks_submitted = 0

    def _seed_live_sources(self, seed: int) -> None:
        errors = self._errors
        seeded_with = self._seeded_with
        for name, seed_source in self._sources.live_calls():
            try:
                seed_source(seed)
            except Exception as error:  # noqa: BLE001
                errors[name] = describe_error(error)
                seeded_with.pop(name, None)
            else:
                seeded_with[name] = seed
                if errors:
                    errors.pop(name, None)
        self.applied_seed = seed

    def before_cell(self, cell_id: str | None, raw_cell: str) -> None:
        """Reseed for the cell about to run, according to the per-cell mode."""
        mode = self.per_cell
        if mode == "off" or self.seed is None:
            return
        try:
            if mode == "same":
                self.reseed(self.seed)
            else:
                key = (self.seed, cell_id if cell_id else raw_cell)
                derived = self._derived_cache.get(key)
                if derived is None:
                    if len(self._derived_cache) > 4096:
                        self._derived_cache.clear()
                    derived = self._derived_cache[key] = derive_seed(*key)
                self.reseed(derived)
            self._hook_error = None
        except Exception as error:  # noqa: BLE001 - never break the user's cell
            self._hook_error = describe_error(error)

    # ----------------------------------------------------------- configuration
    def set_per_cell(self, mode: object) -> None:
        value = normalize_per_cell(mode)
        if value != "off" and self.seed is None:
            raise ValueError("per-cell reseeding needs a seed first, e.g. `%seed 3407 --per-cell`")
        self.per_cell = value
        self._notify()

    def set_deterministic(self, mode: object) -> list[str]:
        value = normalize_deterministic(mode)
        warnings = self._set_deterministic(value)
        self._ensure_import_hook()
        self._notify()
        return warnings

    def _set_deterministic(self, mode: DeterministicMode) -> list[str]:
        self.deterministic = mode
        warnings: list[str] = []
        for source in self.sources:
            notes = deterministic_notes(source, mode, prepare=True)
            if notes:
                self._deterministic_warnings[source.name] = notes
            else:
                self._deterministic_warnings.pop(source.name, None)
            warnings += notes
        return warnings

    def set_workers(self, enabled: object) -> None:
        """Give DataLoaders created from now on our ``worker_init_fn`` and ``generator``."""
        self._set_workers(normalize_workers(enabled))
        self._ensure_import_hook()
        self._notify()

    def _set_workers(self, enabled: bool) -> None:
        self.workers = enabled
        if enabled:
            self._workers.install()  # waits for torch's import when torch is not loaded yet
        else:
            self._workers.uninstall()

    def set_patch_default_rng(self, enabled: object) -> None:
        if not isinstance(enabled, bool):
            raise TypeError(f"patch_default_rng must be True or False, got {enabled!r}")
        self.patch_default_rng = enabled
        if not enabled:
            self._default_rng.uninstall()
        elif NUMPY_RANDOM in sys.modules:
            self._default_rng.install(sys.modules[NUMPY_RANDOM])
        else:
            self._ensure_import_hook()
        self._notify()

    def _on_import(self, module: str) -> None:
        """Called by the import hook right after a watched module finished importing.

        Every live source is reseeded, not only the new one: importing torch draws from
        NumPy's stream and TensorFlow from Python's; this equals seeding after the imports.
        """
        for source in self._sources.imported(module):
            self._source_imported(source)
        try:
            if module == "torch" and self.workers:
                self._workers.install()
            if self.applied_seed is not None:
                # Not reseed(): an import is not a new seed, so rng()'s count goes on.
                self._seed_live_sources(self.applied_seed)
            if module == NUMPY_RANDOM and self.patch_default_rng:
                self._default_rng.install(sys.modules[NUMPY_RANDOM])
        except Exception as error:  # noqa: BLE001 - never break the user's import
            self._hook_error = f"after importing {module}: {describe_error(error)}"
        self._notify()

    def _source_imported(self, source: RandomSource) -> None:
        try:
            source.on_import()
        except Exception as error:  # noqa: BLE001 - never break the user's import
            self._hook_error = f"after importing {source.module}: {describe_error(error)}"
        if self.deterministic != "off":
            notes = deterministic_notes(source, self.deterministic, prepare=False)
            if notes:
                self._deterministic_warnings[source.name] = notes

    # ------------------------------------------------------ scoped seeding
    @contextmanager
    def seeded(self, seed: object) -> Iterator[SeedReport]:
        """Seed every source with ``seed`` inside the block, then restore every state."""
        from .snapshots import restore_snapshots, seed_arrivals, take_snapshots

        value = validate_seed(seed)
        # A framework first imported inside the block must be seeded too, or a
        # block's first run would differ from its later ones.
        self._ensure_import_hook()
        before = {source.name for source in self._loaded_sources()}
        snapshots = take_snapshots(self._loaded_sources(), self._errors)
        saved = (self.applied_seed, self._rng_counter, dict(self._seeded_with), dict(self._errors))
        try:
            yield self._apply(value)
        finally:
            self.applied_seed, self._rng_counter, self._seeded_with, self._errors = saved
            restore_snapshots(self._loaded_sources(), snapshots, self._errors)
            if self.applied_seed is not None:
                arrivals = [s for s in self._loaded_sources() if s.name not in before]
                seed_arrivals(arrivals, self.applied_seed, self._errors, self._seeded_with)

    # --------------------------------------------------------- generators
    def _seeded_generator_or_none(self) -> Any:
        if self.applied_seed is None:
            return None
        return self.rng()

    def rng(self) -> Any:
        """A new ``numpy.random.Generator``; the k-th call after a reseed is stream k."""
        if self.applied_seed is None:
            raise RuntimeError("no active seed: run `%seed N` or jupyter_seed.seed_everything(N) first")
        # Importing numpy.random for the first time runs the import hook, which
        # reseeds: take the stream index only once that has happened.
        import numpy.random as np_random

        index = self._rng_counter
        self._rng_counter += 1
        sequence = np_random.SeedSequence(self.applied_seed, spawn_key=(index,))
        return np_random.Generator(np_random.PCG64(sequence))

    # ------------------------------------------------------------- unload
    def detach(self) -> None:
        """Remove every hook and patch and forget the configuration (extension unload)."""
        if self._import_hook is not None:
            self._import_hook.uninstall()
        for patch in self._patches():
            patch.uninstall()
        self.workers, self.processes = False, True  # processes: back to its default, on
        for source in self._sources.created():
            try:
                source.detach()
            except Exception as error:  # noqa: BLE001
                print(f"jupyter-seed: detaching {source.name} failed: {describe_error(error)}", file=sys.stderr)
        self.seed = self.seed_origin = self.applied_seed = None
        self.per_cell = "off"
        self.deterministic = "off"
        self.patch_default_rng = False
        self._deterministic_warnings.clear()
        self._hook_error = None
        self._seeded_with.clear()
        self._derived_cache.clear()
        self._rng_counter = self.tasks_submitted = 0
        self._notify()

    # -------------------------------------------------------------- status
    def state(self) -> dict[str, Any]:
        """Everything the status shows, as JSON-serialisable data (the front-end contract)."""
        sources = []
        warnings: list[str] = []
        for source in self.sources:
            entry, notes = describe_source(
                source, last_seeded=self._seeded_with.get(source.name), error=self._errors.get(source.name)
            )
            sources.append(entry)
            warnings += notes
            warnings += self._deterministic_warnings.get(source.name, [])
        numpy_loaded = NUMPY_RANDOM in sys.modules
        if numpy_loaded and self.seed is not None and not self.patch_default_rng:
            warnings.append(
                "numpy.random.default_rng() without a seed ignores %seed; use jupyter_seed.rng() "
                "or `%seed --patch-default-rng`"
            )
        if self._hook_error:
            warnings.append(f"per-cell hook error: {self._hook_error}")
        for name, problem in self._sources.plugin_errors.items():
            warnings.append(f"source plugin {name!r} skipped: {problem}")
        state = {
            "version": __version__,
            "extension_loaded": self.extension_loaded,
            **self._settings(),
            "sources": sources,
            "failed": sorted(self._errors),
            "warnings": warnings,
        }
        from .provenance import collect as collect_provenance  # only the status needs it, not the load

        state["provenance"] = collect_provenance(state)
        return state

    def provenance(self) -> dict[str, Any]:
        """``state()["provenance"]``, asking only the loaded sources (the line ``%seed N`` prints)."""
        from .provenance import collect as collect_provenance

        loaded = [{"name": s.name, "loaded": True, "version": version_of(s)} for s in self._loaded_sources()]
        return collect_provenance({**self._settings(), "sources": loaded})

    def _settings(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "seed_origin": self.seed_origin,
            "applied_seed": self.applied_seed,
            "per_cell": self.per_cell,
            "deterministic": self.deterministic,
            "patch_default_rng": self.patch_default_rng,
            "workers": self.workers,
            "processes": self.processes,
        }


_seeder = Seeder()


def get_seeder() -> Seeder:
    """The process-wide seeder every front end shares."""
    return _seeder
