"""Writes of member invitations: invite, resend, cancel, accept.

An account belongs to whoever created it. Adding someone by email never issues a password
link or any other credential to the person adding them: it emails an invitation to that
address. Its link works once and expires; accepting it needs the link (proof of the mailbox)
and, for an account that has a password, being signed in as that account. So no workspace can
reach another's accounts, not even one created for an address it does not own: the mailbox's
owner holds the link, whoever knows the account's password.
"""

import hashlib
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apikeys.grants import Grantor, target_check

from .models import Invitation, Membership, Workspace

INVITATION_SESSION_KEY = "workspaces.invitation_token"


def password_set(*, user: AbstractBaseUser, password: str, field: str) -> None:
    """Set and save the user's password once the validators pass; their errors go to `field`."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from error
    user.set_password(password)
    user.save()


def token_hash(token: str) -> str:
    """Return what is stored of an invitation token (it is never stored itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_path(*, token: str) -> str:
    """Return the path of the emailed link."""
    return reverse("workspaces:invitation-open", kwargs={"token": token})


def _issue(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + timedelta(days=settings.OMNIFLOW_INVITATION_DAYS)
    return token


def _send(invitation: Invitation, *, token: str, base_url: str) -> None:
    link = base_url.rstrip("/") + invitation_path(token=token)
    # Kept on the object for the operator's `create_member` only; never in an API response.
    invitation.link = link
    workspace = invitation.workspace.name
    who = invitation.invited_by_label or "An admin"
    body = (
        f"{who} invited you to join {workspace} on Omniflow as {invitation.role}.\n\n"
        f"Accept the invitation here (the link works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
        "If you already have an Omniflow account, sign in with it when asked. If you did not "
        "expect this email, ignore it: nothing happens unless the link is used.\n"
    )
    try:
        send_mail(
            subject=f"You are invited to join {workspace} on Omniflow",
            message=body,
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (OSError, smtplib.SMTPException) as error:
        # Rolled back with the invitation: nothing half-made, the admin can try again.
        raise ValidationError(
            {"email": f"The invitation email could not be sent ({type(error).__name__}); retry."}
        ) from error


@transaction.atomic
def invitation_create(
    *,
    workspace: Workspace,
    email: str,
    role: str,
    invited_by: AbstractBaseUser | None,
    grantor: Grantor | None,
    base_url: str,
) -> Invitation:
    """Invite an email address to the workspace with a role, and email it the link."""
    if Invitation.objects.filter(workspace=workspace, email=email).exists():
        message = f"{email} is already invited: resend or cancel that invitation."
        raise ValidationError({"email": ValidationError(message, code="already_invited")})
    invitation = Invitation(
        workspace=workspace,
        email=email,
        role=role,
        invited_by=invited_by,
        invited_by_label=grantor.label if grantor is not None else "",
    )
    token = _issue(invitation)
    invitation.save()
    _send(invitation, token=token, base_url=base_url)
    return invitation


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, grantor: Grantor | None, base_url: str
) -> Invitation:
    """Email the invitation again with a new link (the old one stops working) and expiry."""
    target_check(grantor=grantor, role=invitation.role)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    token = _issue(invitation)
    invitation.send_count += 1
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "send_count"])
    _send(invitation, token=token, base_url=base_url)
    return invitation


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, grantor: Grantor | None) -> None:
    """Cancel an invitation: its link stops working."""
    target_check(grantor=grantor, role=invitation.role)
    invitation.delete()


def invitation_for_token(*, token: str) -> Invitation | None:
    """Return the pending, unexpired invitation a link's token opens, else None."""
    invitation = (
        Invitation.objects.select_related("workspace")
        .filter(token_hash=token_hash(token or ""))
        .first()
    )
    if invitation is None or invitation.is_expired:
        return None
    return invitation


def invitation_account(*, invitation: Invitation) -> AbstractBaseUser | None:
    """Return the existing account of the invited address, if any."""
    return get_user_model().objects.filter(username__iexact=invitation.email).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Make the signed-in owner of the invited address a member; the link is used up."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if user.get_username().lower() != invitation.email.lower():
        raise ValidationError(f"This invitation is for {invitation.email}.")
    membership, _ = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role}
    )
    invitation.delete()
    return membership


@transaction.atomic
def invitation_accept_with_password(
    *, invitation: Invitation, password: str
) -> tuple[AbstractBaseUser, Membership]:
    """Accept for an address whose account has no password yet (or no account): set it."""
    user = invitation_account(invitation=invitation)
    if user is not None and user.has_usable_password():
        raise ValidationError("This account has a password: sign in with it to accept.")
    if user is None:
        user = get_user_model()(username=invitation.email, email=invitation.email)
    password_set(user=user, password=password, field="new_password1")
    return user, invitation_accept(invitation=invitation, user=user)
