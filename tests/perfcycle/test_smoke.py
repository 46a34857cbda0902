import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_each_role_lands_on_its_page(org, client):
    """After login, HR, managers and employees each land on their own home page."""
    for person, target in [("hr", "hr-home"), ("manager", "team-home"), ("employee", "my-home")]:
        client.force_login(org[person].user)
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url == reverse(target)
        assert client.get(response.url).status_code == 200
