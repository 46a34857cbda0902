"""The cycle's feedback rules: read (created with the defaults on first use) and the
policy on improvement plans. HR's page that edits them lives with the HR overview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from appraisal.models import Appraisal
from appraisal.scoring import Scale, band_for, default_bands
from feedback.models import FeedbackSettings
from perfcycle.models import Cycle


def settings_for(cycle: Cycle) -> FeedbackSettings:
    """The cycle's feedback settings (made with the defaults the first time); no query
    when the cycle was read with them (``select_related("feedback_settings")``)."""
    if Cycle.feedback_settings.is_cached(cycle):
        try:
            return cycle.feedback_settings
        except FeedbackSettings.DoesNotExist:
            pass
    settings, _created = FeedbackSettings.objects.get_or_create(cycle=cycle)
    return settings


def interviews_due(cycle: Cycle, settings: FeedbackSettings) -> dt.date | None:
    """The day interviews should be held by: the rule's date, else the cycle's feedback
    deadline."""
    return settings.interviews_due or cycle.feedback_deadline


def below_qualified(appraisal: Appraisal, settings: FeedbackSettings) -> bool:
    """Whether the final result falls in a band below the qualified level's band (the
    bands are the scale's, as the appraisal snapshot has them). No score: not below."""
    if appraisal.final_score is None or not appraisal.scale_levels:
        return False
    scale = Scale.of(appraisal.scale_levels)
    bands = default_bands(scale)
    qualified = band_for(Decimal(settings.qualified_level), bands)
    found = band_for(Decimal(appraisal.final_score), bands)
    return found is not None and qualified is not None and found.high <= qualified.low
