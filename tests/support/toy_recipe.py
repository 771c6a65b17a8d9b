"""A toy recipe kind, to test the recipe-kind extension point."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from redqueen.experiments import ProgressHook, RecipeBase
from redqueen.store.run_store import RunStore


class CountOutcome:
    def __init__(self, total: int) -> None:
        self.total = total

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total}

    def summary_text(self) -> str:
        return f"counted to {self.total}"


class CountRecipe(RecipeBase):
    kind: Literal["count"] = "count"
    upto: int = Field(3, ge=1, le=100)

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> CountOutcome:
        if out_dir is not None:
            with RunStore(out_dir) as store:
                store.bind_config(self.model_dump(mode="json"))
                for k in range(1, self.upto + 1):
                    store.log_metric("count", k, step=k)
                    if progress is not None:
                        progress(k, self.upto)
        return CountOutcome(self.upto)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        path = Path(run_dir) / "report.html"
        path.write_text("<!doctype html><title>count</title>")
        return path
