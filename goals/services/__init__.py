"""Planning services. A package because the stage's writes are past the size of one module;
one module per area: ``library`` (scales, indicators, templates), ``workflow`` (goals and
their approvals, comments), ``adjustments`` (changing approved goals), ``reminders``
(planning reminders) and ``setup`` (a cycle's scale, templates and population). Import
the area: ``from goals.services import workflow``."""
