"""Two tabs at once: nominations are counted under the appraisal's lock, so two
simultaneous nominations never pass the maximum together; and the audit log reads the
peer-input events as sentences for HR."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisal.models import PeerReview
from appraisal.services import peers
from tests.appraisal.peer_factories import answer, asked, peer_org
from tests.workers import run_at_once


@pytest.mark.django_db(transaction=True)
def test_two_tabs_nominating_at_once_never_pass_the_maximum():
    org = peer_org(6)
    halves = iter([org.peers[:3], org.peers[3:]])

    def nominate():
        chosen = next(halves)
        try:
            return len(
                peers.nominate_peers(appraisal=org.appraisal, peers=chosen, actor=org.employee.user)
            )
        except ValidationError as error:
            return " ".join(error.message_dict["peers"])

    results = run_at_once(nominate)
    assert sorted(results, key=str) == sorted(
        [3, "You can nominate at most 5 colleagues; you would have 6."], key=str
    )
    assert PeerReview.objects.filter(appraisal=org.appraisal).count() == 3


@pytest.mark.django_db
def test_the_audit_log_tells_hr_what_happened(client):
    org = peer_org(3)
    for review in asked(org):
        answer(review)
    client.force_login(org.hr.user)
    page = client.get(reverse("audit-list")).content.decode()
    assert "nominated 3 colleagues for peer input" in page
    assert "approved a nomination for" in page
    assert "asked 3 peers for input" in page
    assert "gave" in page and "peer input for" in page
