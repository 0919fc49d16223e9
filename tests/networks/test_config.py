"""Study configuration: validation, presets, the JSON round trip of the manifest, estimated epochs."""

from __future__ import annotations

import pytest

from mibench.networks.config import DEFAULT_ESTIMATORS, StudyConfig, estimator_spec, preset
from mibench.suites import EstimatorSpec


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="activation"):
        StudyConfig(activations=("sigmoid",))
    with pytest.raises(ValueError, match="seeds"):
        StudyConfig(seeds=())
    with pytest.raises(ValueError, match="repeat"):
        StudyConfig(estimators=("binning", "binning"))
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        StudyConfig(epochs=0)
    with pytest.raises(ValueError, match="estimator_epochs"):
        StudyConfig(estimator_epochs=1)
    with pytest.raises(ValueError, match="preset"):
        preset("huge")
    with pytest.raises(ValueError, match="non-empty name"):
        estimator_spec("")


def test_estimators_are_suite_entries() -> None:
    assert estimator_spec("ksg") == EstimatorSpec("ksg")
    assert estimator_spec({"name": "ksg", "params": {"k": 5}}) == EstimatorSpec("ksg", {"k": 5})
    spec = EstimatorSpec("binning", {"miller_madow": True})
    assert estimator_spec(spec) is spec
    assert StudyConfig(estimators=("ksg", spec)).estimators == (EstimatorSpec("ksg"), spec)


def test_presets() -> None:
    paper = preset("paper")
    assert paper.epochs == 8000 and len(paper.seeds) == 50 and paper.log_every == 5
    assert paper.restart_accuracy == 0.55 and paper.restart_epoch == 1000
    assert len(paper.logged_epochs()) == 1601 and len(paper.estimated_epochs()) == 40
    default = preset("default")
    assert set(default.activations) == {"tanh", "relu"} and len(default.seeds) == 3
    assert default.estimators == DEFAULT_ESTIMATORS and default.optional == ("kde-upper",)
    assert [e.name for e in default.estimators] == ["binning", "ksg", "kde-upper"]
    estimated = default.estimated_epochs()
    assert estimated[0] == 0 and estimated[-1] == default.epochs and set(estimated) <= set(default.logged_epochs())
    assert preset("smoke", epochs=None).epochs == 8  # None leaves the preset's value


def test_round_trip_through_the_manifest_form() -> None:
    config = preset("smoke", estimators=("ksg", EstimatorSpec("binning", {"miller_madow": True})), hidden=(4, 3))
    assert StudyConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["estimators"] == [
        {"name": "ksg", "params": {}},
        {"name": "binning", "params": {"miller_madow": True}},
    ]
    changed = config.replace(epochs=9)
    assert changed.epochs == 9 and changed.training_settings() != config.training_settings()


def test_noisy_presets_and_layers() -> None:
    from mibench.networks.config import NOISY_ESTIMATORS, NOISY_PRESETS

    noisy = preset("default", noise_std=0.1)
    assert noisy.noise_std == 0.1 and noisy.estimators == NOISY_ESTIMATORS and noisy.estimator_epochs == 6
    assert [e.name for e in noisy.estimators] == ["ksg", "binning", "kde-upper", "kde-lower", "gaussian-convolution"]
    assert noisy.training_settings() == preset("default").training_settings()  # the same networks
    assert preset("default", noise_std=0.1, estimator_epochs=4).estimator_epochs == 4  # explicit settings win
    assert preset("smoke", noise_std=0.05).layers == NOISY_PRESETS["smoke"]["layers"]
    assert preset("default").noise_std is None and preset("default").layers is None
    config = StudyConfig(layers=(6, 2), noise_std=0.01)
    assert config.layers == (2, 6) and config.estimated_layers(6) == [2, 6]
    assert StudyConfig().estimated_layers(3) == [1, 2, 3]
    assert StudyConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="do not exist"):
        config.estimated_layers(5)
    for bad in ((), (0,), (1, 1)):
        with pytest.raises(ValueError, match="layers"):
            StudyConfig(layers=bad)
    with pytest.raises(ValueError, match="noise level"):
        StudyConfig(noise_std=0.0)
