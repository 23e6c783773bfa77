"""Interim defaulting (the full rules land from the models branch)."""

from __future__ import annotations

from apimachinery.base import KubeObject


def apply_defaults(obj: KubeObject) -> None:
    return None


def job_generated_selector(job: KubeObject) -> None:
    return None
