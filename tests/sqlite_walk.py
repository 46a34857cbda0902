"""Walk every GET page of the demo, as each demo login, on the database the settings name.

Run by tests/perfcycle/test_sqlite_default.py in a process of its own, on SQLite (the
no-server default of ``make run``): ``python -m tests.sqlite_walk``. Prints each page that
did not answer (a 500, say) and exits 1 if there is one."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from bench import urlwalk  # noqa: E402

ROLES = ("hr", "manager", "employee", "peer", "manager2", "employee2")


def client_for(user) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    client.force_login(user)
    return client


def main() -> int:
    urlwalk.client_for = client_for  # a page that fails is reported, not raised
    walk = urlwalk.walk(ROLES)
    failed = [row for row in walk.skipped if row[2].startswith("answered")]
    print(f"{len(walk.pages)} pages answered")
    for label, role, reason in failed:
        print(f"FAILED {label} as {role}: {reason}")
    return 1 if failed or not walk.pages else 0


if __name__ == "__main__":
    sys.exit(main())
