"""Implementation services, by area: ``checkins`` (check-ins, comments, progress),
``evidence`` (work records and attachments) and ``deviations`` (detection, corrective
actions, reminders). Import the area: ``from implementation.services import checkins``."""
