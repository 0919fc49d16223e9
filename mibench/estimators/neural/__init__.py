"""Neural (variational-bound) MI estimators on one PyTorch critic-training engine.

Public classes (registry names in parentheses, as the lead registers them):

* :class:`MINE` -- Donsker-Varadhan value, moving-average bias-corrected gradient (Belghazi et al. 2018);
* :class:`DV` -- Donsker-Varadhan, plain gradient;
* :class:`NWJ` -- Nguyen-Wainwright-Jordan;
* :class:`InfoNCE` -- van den Oord et al. 2018, value at most log(batch size);
* :class:`SMILE` -- clipped DV with the Jensen-Shannon gradient (Song & Ermon 2020);
* :class:`NeuralMI` -- any of the above chosen by ``objective``.

Modules: :mod:`.config` (hyperparameter validation), :mod:`.critics` (joint and separable critics),
:mod:`.objectives` (the bounds), :mod:`.engine` (split, training, early stopping, held-out estimate),
:mod:`.estimators` (the classes). Importing this package does not import torch; only the engine, critics and
objectives do, and they are imported when an estimate starts.
"""

from mibench.estimators.neural.estimators import DV, MINE, NWJ, SMILE, InfoNCE, NeuralMI

__all__ = ["DV", "MINE", "NWJ", "SMILE", "InfoNCE", "NeuralMI"]
