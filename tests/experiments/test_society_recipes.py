"""The ``referential_populations`` and ``reservoir_governance`` recipes end to end, tiny:
their results hold what the reports promise, the runs resume from the store, and bad
fields are refused before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from redqueen.experiments import RecipeError, parse_recipe

REFERENTIAL: dict[str, Any] = {
    "name": "ref",
    "kind": "referential_populations",
    "game_params": {"properties": 2, "values": 3, "distractors": 2, "vocabulary": 6,
                    "message_length": 2},
    "seeds": 2, "population": 2, "held_out": 1, "selfplay_steps": 60, "meta_steps": 30,
    "batch_size": 32, "shots": 16, "adapt_steps": 3, "eval_games": 100,
}  # fmt: skip
RESERVOIR: dict[str, Any] = {
    "name": "res",
    "kind": "reservoir_governance",
    "seeds": 3, "size": 8, "sizes": [4], "noisy_steps": 60, "schedule_scale": 0.1,
    "burn_in": 50, "train_steps": 200, "habituation_epochs": 5, "habituation_steps": 50,
    "warmup": 50, "kl_samples": 40, "knn_k": 3, "static_alphas": [0.0, 1.0],
    "ema_gammas": [0.9],
}  # fmt: skip


def test_referential_populations_end_to_end(tmp_path: Path) -> None:
    recipe = parse_recipe(REFERENTIAL)
    result = recipe.run(tmp_path).to_dict()
    summary = result["summary"]
    for proc in ("static", "dynamic"):
        seen = summary[proc]["seen"]
        assert seen["pooled"]["n"] == 2 * 2 * 100  # runs x speakers x games
        assert summary[proc]["held_out"]["pooled"]["n"] == 2 * 1 * 100
        assert summary[proc]["bot"]["pooled"]["n"] == 2 * 100
        assert seen["mean"] >= 0.8  # chance is 1/3; measured 0.98-1.0
        assert 0 <= seen["low"] <= seen["mean"] <= seen["high"] <= 1
    runs = result["per_run"]
    diff = result["difference"]["held_out"]
    expected = sum(d - s for d, s in zip(runs["dynamic"]["held_out"], runs["static"]["held_out"],
                                         strict=True)) / 2  # fmt: skip
    assert diff["mean"] == pytest.approx(expected)
    html = (tmp_path / "report.html").read_text()
    assert "held-out speakers" in html and "Dynamic minus static" in html
    assert recipe.run(tmp_path).to_dict()["summary"] == summary  # resumed from the store


def test_reservoir_governance_end_to_end(tmp_path: Path) -> None:
    recipe = parse_recipe(RESERVOIR)
    result = recipe.run(tmp_path).to_dict()
    fit = result["readout_fit"]
    assert fit["targets"] == [0.95, 0.05]
    assert fit["cooperate"]["mean"] == pytest.approx(0.95, abs=0.03)
    assert fit["defect"]["mean"] == pytest.approx(0.05, abs=0.03)
    assert set(result["schedules"]) == {"noisy", "perturbation", "multi_phase"}
    agents = result["schedules"]["multi_phase"]["agents"]
    assert set(agents) == {"sentinel", "alpha=0", "alpha=1", "tft", "ema_tft(0.9)"}
    assert result["schedules"]["multi_phase"]["block"] == [50, 55]
    for a in agents.values():
        assert 0 <= a["payoff"]["low"] <= a["payoff"]["mean"] <= a["payoff"]["high"] <= 5
        assert a["payoff"]["n"] == 3
    assert agents["sentinel"]["alpha"]["block_min"]["mean"] < 0.5
    assert result["sizes"][0]["size"] == 4 and set(result["complexity"]) == {"alpha=1", "sentinel"}
    html = (tmp_path / "report.html").read_text()
    assert "Readout fit" in html and "Sweep over the reservoir size" in html
    assert recipe.run(tmp_path).to_dict() == result


def test_bad_fields_are_refused() -> None:
    with pytest.raises(RecipeError, match="seeds: Input should be greater than or equal to 1"):
        parse_recipe({**RESERVOIR, "seeds": 0})
    with pytest.raises(RecipeError, match="spectral_radius: Input should be less than or equal"):
        parse_recipe({**RESERVOIR, "spectral_radius": 1.5})
    with pytest.raises(RecipeError, match="vocabulary of at least properties x values = 6"):
        parse_recipe({**REFERENTIAL, "game_params": {**REFERENTIAL["game_params"],
                                                     "vocabulary": 4}})  # fmt: skip
