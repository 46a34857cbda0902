"""What appraisal adds to the core's pages (registered in appraisal/apps.py): navigation,
to-dos, health, cycle-page links, removal guard and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own tuple below (assessment, peers,
calibration and close), so they read apart."""

from django.utils.translation import gettext_lazy as _

from perfcycle.stages import NavGroup, register_nav, register_nav_group

STAGE = "appraisal"

# Self-assessment, manager review, breakdown (employee and manager pages).
ASSESSMENT_NAV: tuple = ()
# Peer (360°) input: nominations, approvals, questionnaires.
PEER_NAV: tuple = ()
# HR: progress, calibration, overdue, release, close.
CALIBRATION_NAV: tuple = ()


def register() -> None:
    register_nav_group(NavGroup("appraisal", _("Appraisal"), 40, stage=STAGE))
    for entry in (*ASSESSMENT_NAV, *PEER_NAV, *CALIBRATION_NAV):
        register_nav(entry)
