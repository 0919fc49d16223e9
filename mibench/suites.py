"""Named benchmark grids: tasks x estimators x sample sizes x repetitions (seeds).

A suite is plain data. :func:`mibench.runner.expand` turns it into jobs; each job's seed is a stable hash of
(task id, n, repetition) (see :mod:`mibench.runner.seeds`), so every estimator sees the same samples.

Built-in suites:

* ``smoke`` -- a handful of small jobs, the quickest end-to-end check of an installation; used by the tests.
* ``quick`` -- the first benchmark a new user runs: the Gaussian grid over dimension and MI level plus a slice of
  every other family, n up to 10 000, 5 seeds (reports/quick/ says how long it took).
* ``bmi`` -- bmi's 40 "Beyond Normal" tasks at bmi's n = 5000 with 10 seeds, to compare with its published numbers.
* ``networks`` -- network tasks with exact and Monte-Carlo truths: two layers of two small trained 12-bit networks
  (tanh, ReLU) at initialisation and after training, quantized and read through Gaussian noise (b = 0.01, 0.1), at
  n = N (every input once), 3 seeds; it trains its two records on its first run (see :mod:`mibench.networks.suite`).
* ``standard`` -- every catalogue task (the sweeps over dimension 1-100 per side, MI 0-10 nats, Student nu 1-30 and
  sparsity) at n in {100, 300, 1000, 3000, 10000} with 5 seeds (KSG, Gaussian, binning, KL, weighted KL, KDE up
  to n = 3000, and MINE and InfoNCE on bmi's 40 tasks); reports/standard/ holds a run and its duration. Of the
  high-dimensional families (images, embedded vectors: 128 to 1024 dimensions per side) it runs only the slice
  :data:`mibench.synthetic.highdim.STANDARD_SLICE` (one task per family), up to n = 3000 (``highdim`` runs them
  all); KSG and KL stop at n = 3000 on the 100 x 100 Gaussian sweep too (:data:`STANDARD_CAPPED_N`), which keeps
  the suite under 45 minutes on 2 cores.
* ``highdim`` -- every high-dimensional catalogue task (bumps and rectangles on 16x16 and 32x32 pixels, smooth and
  linear embeddings of 5 latents in R^128 and R^1000; MI 0, 1, 2.5, 5, 7.5, 10 nats) at n = 5000 with 3 seeds: the
  k-NN, Gaussian and neural estimators and compression (PCA, autoencoder; then KSG or weighted KL), against the
  exact truth of Butakov et al.'s (ICLR 2024) construction, and the same estimators on each task's latents.
* ``full`` -- every catalogue task and every built-in estimator, n from 100 to 10^5, 10 seeds: sized for a Dask
  cluster (``--scheduler``); ``mibench run full --dry-run`` estimates its cost from a store's measured times.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from mibench.errors import InvalidOptionError, UnknownNameError


@dataclass(frozen=True)
class EstimatorSpec:
    """An estimator by registry name with hyperparameters (empty: the estimator's defaults).

    ``max_n`` and ``tasks`` restrict where it runs inside a suite's grid: only sample sizes up to ``max_n`` and
    only tasks whose id matches one of the shell-style ``tasks`` patterns (``None``: no restriction). They keep
    costly estimators (O(n^2) kernels, neural critics) inside a suite's time budget without shrinking the grid of
    the others.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    max_n: int | None = None
    tasks: tuple[str, ...] | None = None

    def runs_on(self, task_id: str, n: int) -> bool:
        """Whether this estimator has a job for (task, n) in a suite."""
        if self.max_n is not None and n > self.max_n:
            return False
        return self.tasks is None or any(fnmatch.fnmatchcase(task_id, pattern) for pattern in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON/TOML data (``max_n`` and ``tasks`` only when set); :meth:`from_dict` reads it."""
        out: dict[str, Any] = {"name": self.name}
        if self.params:
            out["params"] = dict(self.params)
        if self.max_n is not None:
            out["max_n"] = self.max_n
        if self.tasks is not None:
            out["tasks"] = list(self.tasks)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> EstimatorSpec:
        """A spec from :meth:`to_dict`'s data, or a bare name.

        Raises:
            ValueError: an unknown key or a value of the wrong type (the message names the valid keys).
        """
        if isinstance(data, str):
            return cls(data)
        if not isinstance(data, Mapping):
            raise ValueError(f"an estimator is a name or a table with keys {', '.join(_SPEC_KEYS)}, got {data!r}")
        unknown = sorted(set(data) - set(_SPEC_KEYS))
        if unknown:
            raise ValueError(f"unknown estimator key(s) {', '.join(unknown)}; valid keys: {', '.join(_SPEC_KEYS)}")
        if not isinstance(data.get("name"), str) or not data["name"]:
            raise ValueError(f"an estimator table needs a name (a string), got {data!r}")
        params = data.get("params", {})
        if not isinstance(params, Mapping):
            raise ValueError(f"estimator {data['name']!r}: params must be a table, got {params!r}")
        max_n = data.get("max_n")
        if max_n is not None and (isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1):
            raise ValueError(f"estimator {data['name']!r}: max_n must be a positive integer, got {max_n!r}")
        tasks = data.get("tasks")
        if tasks is not None and (isinstance(tasks, str) or not all(isinstance(t, str) for t in tasks)):
            raise ValueError(f"estimator {data['name']!r}: tasks must be a list of ids or patterns, got {tasks!r}")
        return cls(data["name"], dict(params), max_n, None if tasks is None else tuple(tasks))

    @classmethod
    def parse(cls, value: str | EstimatorSpec | tuple[str, Mapping[str, Any]]) -> EstimatorSpec:
        if isinstance(value, EstimatorSpec):
            return value
        if isinstance(value, tuple):
            return cls(value[0], dict(value[1]))
        return cls(str(value))


_SPEC_KEYS = ("name", "params", "max_n", "tasks")
#: A suite's per-job time limit in seconds when it does not set one.
DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Suite:
    """A benchmark grid.

    Attributes:
        name: the suite's name (``mibench run NAME``).
        tasks: task ids (catalogue entries or any parametric id, see :func:`mibench.get_task`).
        estimators: estimators with their hyperparameters.
        sample_sizes: the n values.
        repetitions: independent samples (seeds) per (task, n).
        timeout: per-job time limit in seconds (``None``: no limit).
        description: one line for ``mibench list suites``.
    """

    name: str
    tasks: tuple[str, ...]
    estimators: tuple[EstimatorSpec, ...]
    sample_sizes: tuple[int, ...]
    repetitions: int
    timeout: float | None = DEFAULT_TIMEOUT
    description: str = ""

    def __post_init__(self) -> None:
        if not self.tasks or not self.estimators or not self.sample_sizes:
            raise ValueError(f"suite {self.name!r} needs at least one task, estimator and sample size")
        if any(int(n) != n or n < 1 for n in self.sample_sizes):
            raise ValueError(f"suite {self.name!r}: sample sizes must be positive integers, got {self.sample_sizes}")
        if self.repetitions < 1:
            raise ValueError(f"suite {self.name!r}: repetitions must be >= 1, got {self.repetitions}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"suite {self.name!r}: timeout must be positive seconds, got {self.timeout}")

    def to_dict(self) -> dict[str, Any]:
        """The suite as plain data (what a suite file holds, and what the results store records per run):
        ``name``, ``description``, ``tasks``, ``estimators`` (see :meth:`EstimatorSpec.to_dict`),
        ``sample_sizes``, ``repetitions`` and ``timeout`` (``None``: no limit)."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "tasks": list(self.tasks),
            "estimators": [spec.to_dict() for spec in self.estimators],
            "sample_sizes": [int(n) for n in self.sample_sizes],
            "repetitions": self.repetitions,
            "timeout": self.timeout,
        }
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as canonical JSON (sorted keys), as the results store records it."""
        from mibench.interface import canonical_json

        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suite:
        """A suite from :meth:`to_dict`'s data (task ids as given: no patterns; see
        :func:`mibench.suite_files.load_suite_file` for files). A missing ``timeout`` is the default limit;
        ``None`` or ``"none"`` is no limit.

        Raises:
            ValueError: a missing or unknown key, or a value of the wrong type (the message names the valid keys).
        """
        unknown = sorted(set(data) - set(_SUITE_KEYS))
        if unknown:
            raise ValueError(f"unknown suite key(s) {', '.join(unknown)}; valid keys: {', '.join(_SUITE_KEYS)}")
        missing = [key for key in ("name", "tasks", "estimators", "sample_sizes", "repetitions") if key not in data]
        if missing:
            raise ValueError(f"a suite needs the key(s) {', '.join(missing)}")
        name = data["name"]
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a suite's name must be a non-empty string, got {name!r}")
        for key in ("tasks", "estimators", "sample_sizes"):
            if isinstance(data[key], str | bytes) or not isinstance(data[key], Sequence):
                raise ValueError(f"suite {name!r}: {key} must be a list, got {data[key]!r}")
        if not all(isinstance(t, str) for t in data["tasks"]):
            raise ValueError(f"suite {name!r}: tasks must be task ids (strings), got {data['tasks']!r}")
        sizes = data["sample_sizes"]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
            raise ValueError(f"suite {name!r}: sample_sizes must be integers, got {sizes!r}")
        repetitions = data["repetitions"]
        if isinstance(repetitions, bool) or not isinstance(repetitions, int):
            raise ValueError(f"suite {name!r}: repetitions must be an integer, got {repetitions!r}")
        timeout = data.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, str) and timeout.strip().lower() == "none":
            timeout = None
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
            raise ValueError(f'suite {name!r}: timeout must be seconds (a number) or "none", got {timeout!r}')
        description = data.get("description", "")
        if not isinstance(description, str):
            raise ValueError(f"suite {name!r}: description must be a string, got {description!r}")
        return cls(
            name=name,
            tasks=tuple(data["tasks"]),
            estimators=tuple(EstimatorSpec.from_dict(item) for item in data["estimators"]),
            sample_sizes=tuple(sizes),
            repetitions=repetitions,
            timeout=None if timeout is None else float(timeout),
            description=description,
        )

    @property
    def n_jobs(self) -> int:
        cells = sum(spec.runs_on(t, n) for spec in self.estimators for t in self.tasks for n in self.sample_sizes)
        return cells * self.repetitions

    def select(
        self,
        *,
        estimators: Sequence[str | EstimatorSpec] | None = None,
        tasks: Sequence[str] | None = None,
        params: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Suite:
        """The sub-grid with only the chosen estimators and the tasks matching any of ``tasks`` (ids or
        shell-style patterns such as ``"gaussian-pairs-5x5-*"``).

        ``estimators`` holds names or :class:`EstimatorSpec` objects. A name the suite has selects every spec of
        the suite with that name, each with its params, ``max_n`` and ``tasks`` (``highdim`` has three
        ``compressed`` specs); any other registered name (built-in, plugin, or an import path
        ``"package.module:Class"``) is added to the grid with the suite's tasks, sample sizes and repetitions and
        no restriction. A spec is used as given. ``params`` maps a chosen estimator's name to hyperparameters that
        override its spec's (``{"ksg": {"k": 5}}``); the ``estimators`` default (``None``) chooses the suite's.

        Raises:
            UnknownNameError: a name that is neither in the suite nor registered (the message lists the registered
                estimators), or a task pattern that selects nothing in this suite.
            DuplicateNameError: a name registered twice (see :mod:`mibench.estimators.registry`).
            ValueError: an import path that cannot be imported, parameters for an estimator that is not chosen,
                or a hyperparameter the estimator does not take.
        """
        chosen_estimators = self.estimators
        if estimators:
            chosen: list[EstimatorSpec] = []
            for item in estimators:
                if isinstance(item, EstimatorSpec):
                    specs = [item]
                else:
                    specs = [spec for spec in self.estimators if spec.name == item]
                    if not specs:
                        _check_registered(str(item))
                        specs = [EstimatorSpec(str(item))]
                chosen.extend(spec for spec in specs if spec not in chosen)
            chosen_estimators = tuple(chosen)
        if params:
            by_name = {spec.name: spec for spec in chosen_estimators}
            for name in params:
                if name not in by_name:
                    raise InvalidOptionError(
                        f"parameters given for estimator {name!r}, which is not selected "
                        f"(selected: {', '.join(by_name)})"
                    )
            chosen_estimators = tuple(
                spec if spec.name not in params else _with_params(spec, params[spec.name]) for spec in chosen_estimators
            )
        chosen_tasks = self.tasks
        if tasks:
            for pattern in tasks:
                if not any(fnmatch.fnmatchcase(t, pattern) for t in self.tasks):
                    raise UnknownNameError("task", pattern, self.tasks)
            chosen_tasks = tuple(t for t in self.tasks if any(fnmatch.fnmatchcase(t, p) for p in tasks))
        return replace(self, estimators=chosen_estimators, tasks=chosen_tasks)


_SUITE_KEYS = ("name", "description", "tasks", "estimators", "sample_sizes", "repetitions", "timeout")


def _check_registered(name: str) -> None:
    """Raise unless ``name`` is a registered estimator or an importable ``"package.module:Class"``."""
    from mibench.estimators.registry import IMPORT_PATH_SOURCE, estimator_source, get_estimator_class

    if estimator_source(name) == IMPORT_PATH_SOURCE:  # raises UnknownNameError/DuplicateNameError for bad names
        get_estimator_class(name)  # an import path is checked by importing it


def _with_params(spec: EstimatorSpec, params: Mapping[str, Any]) -> EstimatorSpec:
    """``spec`` with ``params`` over its own, checked against the estimator's hyperparameters."""
    from mibench.estimators.registry import get_estimator

    merged = {**spec.params, **params}
    get_estimator(spec.name, **merged)  # a hyperparameter it does not take is a ValueError naming the valid ones
    return replace(spec, params=merged)


def _specs(*names: str | tuple[str, Mapping[str, Any]]) -> tuple[EstimatorSpec, ...]:
    return tuple(EstimatorSpec.parse(name) for name in names)


def _gaussian_ids(dims: Iterable[int], levels: Iterable[float]) -> tuple[str, ...]:
    from mibench.synthetic.gaussian import gaussian_pairs

    return tuple(gaussian_pairs(d, d, mi=mi).id for d in dims for mi in levels)


#: Tasks of ``quick`` beyond the Gaussian grid: one or two of every other family, the kinds of dependence a linear
#: estimator misreads (mixtures, spirals, a swiss roll) and heavy tails.
QUICK_EXTRA_TASKS = (
    "multinormal-dense-5x5-rho0.5",
    "student-identity-2x2-nu1",
    "asinh-student-identity-3x3-nu2",
    "additive-uniform-eps0.1",
    "mixture-x-rho0.9",
    "mixture-shells-d2-k3-sx0.2-sy0.3",
    "spiral-gaussian-pairs-5x5-k2-rho0.8",
    "swissroll_x-normal_cdf-gaussian-pairs-1x1-rho0.75",
    "bimodal-gaussian-pairs-1x1-rho0.75",
)


#: The classical estimators every synthetic suite compares; KDE is O(n^2) and stops at n = 3000.
CLASSICAL = (
    EstimatorSpec("ksg"),
    EstimatorSpec("gaussian"),
    EstimatorSpec("binning"),
    EstimatorSpec("kl"),
    EstimatorSpec("kde", max_n=3000),
)


#: Neural variants train a critic per job, far slower than the classical estimators, so suites run them on a
#: slice: these tasks in ``quick``.
QUICK_NEURAL_TASKS = (
    "gaussian-pairs-1x1-rho0.75",
    "gaussian-pairs-5x5-mi1",
    "multinormal-dense-5x5-rho0.5",
    "gaussian-pairs-20x20-mi4",
    "mixture-x-rho0.9",
    "spiral-gaussian-pairs-5x5-k2-rho0.8",
)
#: Shorter training for the suites (the helper's measurement: nearly the defaults' values at a fraction of the cost).
QUICK_NEURAL_PARAMS = {"max_steps": 400, "patience": 4}
STANDARD_NEURAL_PARAMS = {"max_steps": 1000, "patience": 5}


#: The largest n at which ``standard`` runs its slow cells: the high-dimensional slice (every estimator) and the
#: k-NN estimators on :data:`STANDARD_SLOW_KNN_TASKS`, whose cost grows with the dimension. At n = 10 000 those few
#: cells cost a large share of the suite's CPU time and pushed ``standard`` past its 45-minute budget on 2 cores
#: (reports/standard/README.md has the measurements); ``highdim`` runs the slice's families at n = 5000 in full.
STANDARD_CAPPED_N = 3000

#: Tasks on which ``standard``'s k-NN estimators (KSG and KL, whose cost grows with the dimension) stop at
#: :data:`STANDARD_CAPPED_N`: the 100 x 100 Gaussian sweep (the other estimators run it to n = 10 000).
STANDARD_SLOW_KNN_TASKS = ("gaussian-pairs-100x100-*",)

#: The k-NN estimators whose cost grows with the joint dimension (:data:`STANDARD_SLOW_KNN_TASKS`).
_KNN_ESTIMATORS = ("ksg", "kl")


def _capped_specs(
    specs: Iterable[EstimatorSpec],
    task_ids: Sequence[str],
    max_n: int,
    *,
    slow_tasks: Sequence[str],
    slow_knn_tasks: Sequence[str],
) -> tuple[EstimatorSpec, ...]:
    """Each spec twice: on ``task_ids`` with its own ``max_n``, and on the slow cells up to ``max_n`` (the
    ``slow_tasks`` for every estimator; also the tasks matching ``slow_knn_tasks`` for the k-NN estimators).

    The two halves have the same name and hyperparameters and disjoint tasks, so a job's result key, the
    report's rows and ``--estimators NAME`` treat them as one estimator whose grid stops earlier on those tasks.
    """
    out: list[EstimatorSpec] = []
    for spec in specs:
        capped_patterns = tuple(slow_knn_tasks) if spec.name in _KNN_ESTIMATORS else ()
        full = tuple(
            task_id
            for task_id in task_ids
            if not any(fnmatch.fnmatchcase(task_id, pattern) for pattern in capped_patterns)
        )
        capped = (*slow_tasks, *capped_patterns)
        own_max = max_n if spec.max_n is None else min(spec.max_n, max_n)
        out.append(EstimatorSpec(spec.name, spec.params, spec.max_n, full))
        out.append(EstimatorSpec(spec.name, spec.params, own_max, capped))
    return tuple(out)


def _builtin_suites() -> dict[str, Suite]:
    from mibench.synthetic import list_tasks
    from mibench.synthetic.highdim import STANDARD_SLICE, is_highdim

    bmi_ids = tuple(task.id for task in list_tasks(bmi=True))

    smoke = Suite(
        name="smoke",
        tasks=("gaussian-pairs-1x1-rho0.75", "gaussian-pairs-2x2-mi1"),
        estimators=_specs("ksg", "gaussian"),
        sample_sizes=(200, 1000),
        repetitions=3,
        timeout=60.0,
        description="A few small jobs (24) to check an installation end to end; seconds.",
    )
    quick = Suite(
        name="quick",
        tasks=(
            "gaussian-pairs-1x1-rho0.75",
            *_gaussian_ids((1, 2, 5, 10), (0.0, 0.5, 1.0, 2.0, 4.0)),
            *_gaussian_ids((20,), (1.0, 4.0)),
            "gaussian-pairs-10x10-k1-mi1",
            "gaussian-pairs-1x5-mi1",
            *QUICK_EXTRA_TASKS,
        ),
        estimators=(
            *CLASSICAL,
            EstimatorSpec("infonce", QUICK_NEURAL_PARAMS, max_n=3000, tasks=QUICK_NEURAL_TASKS),
        ),
        sample_sizes=(300, 1000, 3000, 10000),
        repetitions=5,
        timeout=300.0,
        description="The first benchmark to run: a slice of every family, dims 1-20, n 300-10 000, 5 seeds.",
    )
    bmi = Suite(
        name="bmi",
        tasks=bmi_ids,
        estimators=(
            *CLASSICAL,
            EstimatorSpec("wkl"),
            *(EstimatorSpec(name, STANDARD_NEURAL_PARAMS) for name in ("mine", "infonce", "nwj", "smile", "dv")),
        ),
        sample_sizes=(5000,),
        repetitions=10,
        timeout=600.0,
        description="bmi's 40 'Beyond Normal' tasks at its n = 5000 with 10 seeds, comparable with its paper.",
    )
    ordinary_ids = tuple(task.id for task in list_tasks() if not is_highdim(task))
    standard = Suite(
        name="standard",
        tasks=(*ordinary_ids, *STANDARD_SLICE),
        estimators=(
            *_capped_specs(
                (*CLASSICAL, EstimatorSpec("wkl")),
                ordinary_ids,
                STANDARD_CAPPED_N,
                slow_tasks=STANDARD_SLICE,
                slow_knn_tasks=STANDARD_SLOW_KNN_TASKS,
            ),
            *(EstimatorSpec(name, STANDARD_NEURAL_PARAMS, tasks=bmi_ids) for name in ("mine", "infonce")),
        ),
        sample_sizes=(100, 300, 1000, 3000, 10000),
        repetitions=5,
        timeout=900.0,
        description="Every catalogue task (all sweeps: dims 1-100, MI 0-10 nats, nu 1-30, sparsity), n 100-10 000, "
        "5 seeds.",
    )
    suites = (smoke, quick, bmi, standard, _networks_suite(), _highdim_suite(), _full_suite())
    return {suite.name: suite for suite in suites}


def _networks_suite() -> Suite:
    """``networks``: quantized network tasks (exact truths) and the same layers read through Gaussian noise
    (Monte-Carlo truths) of two small 12-bit networks (see :mod:`mibench.networks.suite`); its ids come from the
    networks' settings, so listing it trains nothing."""
    from mibench.networks.suite import NETWORKS_SUITE, SUITE_NETWORKS, suite_task_ids

    noisy_only = ("*-xt-b*", "*-ty-b*")  # the channel-only estimator's jobs, so n_jobs counts them right
    return Suite(
        name=NETWORKS_SUITE,
        tasks=suite_task_ids(),
        estimators=(
            *_specs("ksg", "binning", "kde-upper", "kde-lower"),
            EstimatorSpec("gaussian-convolution", tasks=noisy_only),
            EstimatorSpec("gaussian"),
        ),
        sample_sizes=(SUITE_NETWORKS.n_rows,),
        repetitions=3,
        timeout=300.0,
        description="12-bit tanh and ReLU nets: quantized layers (exact truth) and the same layers with Gaussian "
        "noise b = 0.01, 0.1 (Monte Carlo), n = N; trains its 2 records on first run.",
    )


#: The estimators of ``highdim``: those that run on 256-2048 joint dimensions at n = 5000. KSG and KL work in the
#: ambient dimension; the Gaussian baseline refuses samples whose columns are linearly dependent (the bumps' far
#: pixels, a linear embedding's subspace), a stated failure; MINE and InfoNCE train on the raw vectors; ``compressed``
#: compresses each side first (PCA, or an autoencoder sized by the data's intrinsic dimension) and runs KSG on the
#: codes, as Butakov et al. (ICLR 2024) do. Weighted KL is left out: its weights need k > d/4 (k = 5 covers d <= 19),
#: so it refuses every one of these tasks (it runs inside ``compressed`` when asked: ``inner="wkl"``).
#: Where the compressing estimators of ``highdim`` run: the rendered tasks (on a latent task they would only pass
#: the few latent columns through).
HIGHDIM_RENDERED_TASKS = ("bumps-*", "rectangles-*", "embedded-*")

HIGHDIM_ESTIMATORS = (
    EstimatorSpec("ksg"),
    EstimatorSpec("kl"),
    EstimatorSpec("wkl"),
    EstimatorSpec("gaussian"),
    EstimatorSpec("mine", STANDARD_NEURAL_PARAMS),
    EstimatorSpec("infonce", STANDARD_NEURAL_PARAMS),
    EstimatorSpec("compressed", {"compressor": "pca"}, tasks=HIGHDIM_RENDERED_TASKS),
    EstimatorSpec("compressed", {"compressor": "pca", "inner": "wkl"}, tasks=HIGHDIM_RENDERED_TASKS),
    EstimatorSpec("compressed", {"compressor": "autoencoder"}, tasks=HIGHDIM_RENDERED_TASKS),
)


def _highdim_suite() -> Suite:
    """``highdim``: every high-dimensional catalogue task (:mod:`mibench.synthetic.highdim`) and the latent task of
    each (:func:`~mibench.synthetic.highdim.latent_task`), at n = 5000, 3 seeds.

    The latent tasks give, seed by seed, what each estimator reaches on the latents the images and vectors were
    rendered from: the reference that a compression can at best recover. 48 rendered tasks x 3 seeds x 9 estimator
    specs + 18 latent tasks x 3 seeds x 6 = 1620 jobs (the weighted KL refuses the rendered tasks at once: its
    weights need more neighbours than k = 5 in that many dimensions). The measured cost per job and the suite's
    duration are in reports/highdim_tasks.md. The 300 s limit per job is a guard against a stalled job, not a budget
    that jobs are expected to use.
    """
    from mibench.synthetic import list_tasks
    from mibench.synthetic.highdim import FAMILIES, latent_task

    rendered = tuple(task.id for family in FAMILIES for task in list_tasks(family=family))
    latents = tuple(dict.fromkeys(latent_task(task_id).id for task_id in rendered))
    return Suite(
        name="highdim",
        tasks=(*rendered, *latents),
        estimators=HIGHDIM_ESTIMATORS,
        sample_sizes=(5000,),
        repetitions=3,
        timeout=300.0,
        description="Images (bumps, rectangles; 16x16, 32x32) and embedded vectors (R^128, R^1000) of 2-5 latent "
        "pairs, MI 0-10 nats (exact), and their latents, n = 5000, 3 seeds; about 90 min.",
    )


#: The sample sizes of ``full``: the standard ones and two larger, up to 10^5.
FULL_SAMPLE_SIZES = (100, 300, 1000, 3000, 10000, 30000, 100000)


def _full_suite() -> Suite:
    """``full``: every catalogue task, every built-in estimator, n from 100 to 10^5, 10 seeds -- a benchmark for a
    cluster (``mibench run full --scheduler ADDRESS``), not for one machine; ``mibench run full --dry-run`` estimates
    its cost from the times in a store.

    Each estimator at its defaults (the neural ones with their full training), except: KDE up to n = 10 000 (its
    kernel matrices hold n^2 numbers), the white-box KDE bounds and the Gaussian convolution only on the noisy-channel
    tasks they are made for, and compression only on the high-dimensional tasks.
    """
    from mibench.synthetic import list_tasks
    from mibench.synthetic.highdim import FAMILIES

    channels = ("channel-*",)
    rendered = tuple(f"{family}-*" for family in FAMILIES)
    return Suite(
        name="full",
        tasks=tuple(task.id for task in list_tasks()),
        estimators=(
            *_specs("ksg", "ksg2", "kl", "wkl", "gaussian", "binning"),
            EstimatorSpec("kde", max_n=10000),
            EstimatorSpec("kde-lower", tasks=channels),
            EstimatorSpec("kde-upper", tasks=channels),
            EstimatorSpec("gaussian-convolution", tasks=channels),
            *_specs("mine", "infonce", "nwj", "smile", "dv"),
            EstimatorSpec("compressed", {"compressor": "pca"}, tasks=rendered),
            EstimatorSpec("compressed", {"compressor": "autoencoder"}, tasks=rendered),
        ),
        sample_sizes=FULL_SAMPLE_SIZES,
        repetitions=10,
        timeout=3600.0,
        description="Every task and estimator, n 100-100 000, 10 seeds: for a Dask cluster (see --dry-run).",
    )


@cache
def _suites() -> dict[str, Suite]:
    """The built-in suites, built on first use (``standard`` and ``bmi`` read the task catalogue)."""
    return _builtin_suites()


def list_suites() -> list[Suite]:
    """The built-in suites."""
    return list(_suites().values())


def get_suite(name: str | Suite) -> Suite:
    """A built-in suite by name (a :class:`Suite` is returned unchanged; for suite files see
    :func:`mibench.suite_files.resolve_suite`).

    Raises:
        UnknownNameError: no built-in suite has this name (the message lists them).
    """
    if isinstance(name, Suite):
        return name
    suites = _suites()
    if not isinstance(name, str):
        raise UnknownNameError("suite", name, suites)
    try:
        return suites[name]
    except KeyError:
        raise UnknownNameError("suite", name, suites) from None
