"""Contacts: create or upsert by email / external id, update."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from omniflow.exceptions import RULE_ERROR_CODE, Conflict
from workspaces.models import Workspace

from ..models import Contact
from .common import UNSET, assignee_check, attributes_merge


def _normalize_email(email: str) -> str:
    # Addresses are matched case-insensitively, as mail systems treat them.
    return email.strip().lower()


def _contact_matching(*, workspace: Workspace, email: str, external_id: str) -> Contact | None:
    """Return the one contact these identifiers name, locked; refuse if they name two."""
    by_external_id = by_email = None
    contacts = Contact.objects.select_for_update().filter(workspace=workspace)
    if external_id:
        by_external_id = contacts.filter(external_id=external_id).first()
    if email:
        by_email = contacts.filter(email=email).first()
    if by_external_id and by_email and by_external_id.pk != by_email.pk:
        raise Conflict(
            f"external_id '{external_id}' and email '{email}' belong to two different contacts "
            f"({by_external_id.pk} and {by_email.pk})."
        )
    return by_external_id or by_email


def _apply(contact: Contact, changes: dict[str, Any]) -> list[str]:
    """Set the given fields on a contact; return the names of those that changed."""
    changed = []
    for field, value in changes.items():
        if value is UNSET:
            continue
        if field == "custom_attributes":
            value = attributes_merge(contact.custom_attributes, value or {})
        if getattr(contact, field) != value:
            setattr(contact, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def contact_upsert(
    *,
    workspace: Workspace,
    email: str = "",
    external_id: str = "",
    name: str | Any = UNSET,
    phone: str | Any = UNSET,
    custom_attributes: dict[str, Any] | Any = UNSET,
    assignee: AbstractBaseUser | None | Any = UNSET,
) -> tuple[Contact, bool]:
    """Create a contact, or update the one with this external id or email; tell if created."""
    email = _normalize_email(email)
    external_id = external_id.strip()
    if not email and not external_id:
        raise ValidationError(
            {
                "email": ValidationError(
                    "Give an email or an external_id to identify the contact.",
                    code=RULE_ERROR_CODE,
                )
            }
        )
    if assignee is not UNSET:
        assignee_check(workspace=workspace, assignee=assignee, field="assignee")
    changes = {
        "name": name,
        "phone": phone,
        "custom_attributes": custom_attributes,
        "assignee": assignee,
    }
    contact = _contact_matching(workspace=workspace, email=email, external_id=external_id)
    if contact is None:
        try:
            # A savepoint, so losing a race with a concurrent create can fall back to update.
            with transaction.atomic():
                contact = Contact(workspace=workspace, email=email, external_id=external_id)
                _apply(contact, changes)
                contact.save()
            return contact, True
        except IntegrityError:
            contact = _contact_matching(workspace=workspace, email=email, external_id=external_id)
            if contact is None:
                raise
    # Fill in an identifier the contact did not have yet; never overwrite a known one.
    identifiers = {}
    if email and not contact.email:
        identifiers["email"] = email
    if external_id and not contact.external_id:
        identifiers["external_id"] = external_id
    changed = _apply(contact, {**changes, **identifiers})
    if changed:
        contact.updated_at = timezone.now()
        contact.save(update_fields=[*changed, "updated_at"])
    return contact, False


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    email: str | Any = UNSET,
    external_id: str | Any = UNSET,
    name: str | Any = UNSET,
    phone: str | Any = UNSET,
    custom_attributes: dict[str, Any] | Any = UNSET,
    assignee: AbstractBaseUser | None | Any = UNSET,
) -> Contact:
    """Change a contact's fields; custom attributes merge, a null value removes a key."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if email is not UNSET:
        email = _normalize_email(email)
    if external_id is not UNSET:
        external_id = external_id.strip()
    if assignee is not UNSET:
        assignee_check(workspace=contact.workspace, assignee=assignee, field="assignee")
    others = Contact.objects.filter(workspace_id=contact.workspace_id).exclude(pk=contact.pk)
    if email and others.filter(email=email).exists():
        raise Conflict(f"Another contact already has the email '{email}'.")
    if external_id and others.filter(external_id=external_id).exists():
        raise Conflict(f"Another contact already has the external_id '{external_id}'.")
    changed = _apply(
        contact,
        {
            "email": email,
            "external_id": external_id,
            "name": name,
            "phone": phone,
            "custom_attributes": custom_attributes,
            "assignee": assignee,
        },
    )
    if changed:
        if not contact.email and not contact.external_id:
            raise ValidationError(
                {
                    "email": ValidationError(
                        "A contact keeps at least one of email and external_id.",
                        code=RULE_ERROR_CODE,
                    )
                }
            )
        contact.updated_at = timezone.now()
        try:
            with transaction.atomic():
                contact.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as error:
            raise Conflict("Another contact took this email or external_id meanwhile.") from error
    return contact
