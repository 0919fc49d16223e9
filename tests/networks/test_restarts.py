"""Records of a study: trained once, reused when their settings match, refused when not; the restart rule."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

pytest.importorskip("torch")

from mibench.networks import records as store
from mibench.networks.config import preset
from mibench.networks.restarts import (
    RESTART_SEED_STRIDE,
    RestartLimitError,
    dataset_of,
    needs_restart,
    obtain_record,
    study_seed,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, twelve):
    out = tmp_path_factory.mktemp("restarts")
    config = preset("smoke", activations=("relu",), estimators=())
    record, run = obtain_record(config, twelve, "relu", 0, out, None)
    return config, out, record, run


def test_a_record_is_trained_once_and_then_reused(trained, twelve, monkeypatch: pytest.MonkeyPatch) -> None:
    config, out, record, run = trained
    assert run.trained and run.record == record.name == "net-12bit-relu-s0" and run.training_seed == 0
    assert (out / run.path).is_file() and run.to_dict()["restarts"] == []

    def no_training(*args, **kwargs):
        raise AssertionError("a stored record must be reused")

    monkeypatch.setattr("mibench.networks.training.train", no_training)
    again, rerun = obtain_record(config, twelve, "relu", 0, out, None)
    assert not rerun.trained and again.digest == record.digest


def test_a_record_of_other_settings_is_refused(trained, twelve) -> None:
    config, out, _, _ = trained
    with pytest.raises(ValueError, match="other settings"):
        obtain_record(config.replace(learning_rate=1e-3), twelve, "relu", 0, out, None)


def test_needs_restart(trained) -> None:
    _, _, record, _ = trained
    late = record.epochs >= 1
    assert needs_restart(record, None) is False
    assert needs_restart(record, 1.01, after_epoch=1) is True
    assert needs_restart(record, 0.0, after_epoch=1) is False
    early_only = dataclasses.replace(record, train_accuracy=np.where(late, 0.9, 0.1))
    assert needs_restart(early_only, 0.55, after_epoch=1) is False


def test_restart_limit_marks_every_attempt(tmp_path, twelve) -> None:
    """An impossible threshold: every attempt stops at the first logged epoch >= 1 and is marked rejected."""
    config = preset("smoke", activations=("relu",), estimators=(), restart_accuracy=1.0, restart_epoch=1)
    config = config.replace(max_restarts=1)
    messages: list[str] = []
    with pytest.raises(RestartLimitError, match="2 attempts"):
        obtain_record(config, dataset_of(config), "relu", 0, tmp_path, messages.append)
    markers = sorted((tmp_path / store.RECORDS).glob("*.rejected.json"))
    assert [m.name for m in markers] == [
        "net-12bit-relu-s0.rejected.json",
        f"net-12bit-relu-s{RESTART_SEED_STRIDE}.rejected.json",
    ]
    assert json.loads(markers[0].read_text())["epoch"] == 1
    assert not store.list_records(tmp_path) and len(messages) == 2
    assert study_seed(3 + 2 * RESTART_SEED_STRIDE) == 3
