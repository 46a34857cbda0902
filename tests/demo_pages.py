"""The demo's pages as its logins see them (the tests of each stage's demo history)."""

from perfcycle.models import Employee


def person(username: str) -> Employee:
    return Employee.objects.select_related("user", "manager__user").get(user__username=username)


def page(client, username: str, url: str) -> str:
    """The page at ``url`` as ``username`` reads it (it must answer 200)."""
    client.force_login(person(username).user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()
