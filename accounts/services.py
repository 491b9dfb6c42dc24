"""Writes of accounts: the login audit log."""

import ipaddress

from django.contrib.auth.models import AbstractBaseUser

from omniflow.json_input import storable_text

from .models import LoginEvent

USERNAME_LENGTH = LoginEvent._meta.get_field("username").max_length
USER_AGENT_LENGTH = LoginEvent._meta.get_field("user_agent").max_length


def login_event_record(
    *,
    username: str,
    outcome: LoginEvent.Outcome,
    ip: str,
    user_agent: str = "",
    user: AbstractBaseUser | None = None,
) -> LoginEvent:
    """Record one login attempt (input is the client's: cut to size and made storable)."""
    try:
        address = str(ipaddress.ip_address(ip))
    except ValueError:
        address = None
    return LoginEvent.objects.create(
        username=storable_text(username)[:USERNAME_LENGTH],
        outcome=outcome,
        ip=address,
        user_agent=storable_text(user_agent)[:USER_AGENT_LENGTH],
        user=user,
    )
