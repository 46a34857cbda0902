"""Planning services. A package because the stage has three areas of writes:
``library`` (scales, indicators, templates), ``workflow`` (goals, approvals,
adjustments) and ``setup`` (a cycle's scale, templates and population). Callers
import from here."""
