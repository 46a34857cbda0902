"""Implementation forms, one module per area (``checkins``, ``evidence``, ``deviations``).
They check the shape of input; the services enforce the business rules."""
