"""Planning services. A package because the stage has three areas of writes, each past
the size of one module: ``library`` (scales, indicators, templates), ``workflow`` (goals,
approvals, adjustments, reminders) and ``setup`` (a cycle's scale, templates and
population). Import the area: ``from goals.services import workflow``."""
