"""Read side of the appraisal stage: scoped querysets and page data (through appraisal/policies.py)."""
