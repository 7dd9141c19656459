"""What the Zendesk sandbox takes in a ticket: the properties Zendesk's published Support
API spec (oas.yaml) declares, and nothing else; and how it keeps a ticket's people
(email CCs and followers) the way Zendesk does.

Zendesk ignores a property it does not document (``additional_tags`` on a single-ticket
update is ignored, and the tags silently never arrive); the sandbox refuses it with
400 instead, so a client relying on one fails in a test rather than in a shop. The
sets below are checked against the published spec in
``tests/integrations/test_zendesk_contract.py``. ``requester`` on create is taken
although the create schema omits it: the Ticket object declares it (write-only) and
Zendesk's guides create tickets that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "COMMENT_FIELDS",
    "CREATE_FIELDS",
    "TAGS_FIELDS",
    "UPDATE_FIELDS",
    "Refused",
    "check_documented",
    "people",
]

CREATE_FIELDS = frozenset({
    "additional_collaborators", "assignee_email", "assignee_id", "attribute_value_ids",
    "brand_id", "collaborator_ids", "collaborators", "comment", "custom_fields",
    "custom_status_id", "due_at", "email_cc_ids", "email_ccs", "external_id", "follower_ids",
    "followers", "group_id", "macro_ids", "organization_id", "priority", "problem_id",
    "raw_subject", "recipient", "requester_id", "safe_update", "sharing_agreement_ids",
    "status", "subject", "submitter_id", "tags", "ticket_form_id", "type", "updated_stamp",
    "via", "via_followup_source_id",
    "requester",  # declared write-only on the Ticket object, not on the create schema
})  # fmt: skip
UPDATE_FIELDS = frozenset({
    "additional_collaborators", "assignee_email", "assignee_id", "attribute_value_ids",
    "collaborator_ids", "comment", "custom_fields", "custom_status_id", "due_at",
    "email_ccs", "external_id", "followers", "group_id", "organization_id", "priority",
    "problem_id", "requester_id", "safe_update", "sharing_agreement_ids", "status",
    "subject", "tags", "type", "updated_stamp",
})  # fmt: skip
COMMENT_FIELDS = frozenset({"author_id", "body", "html_body", "public", "uploads", "via"})
# The Tags endpoint declares no body; its description documents this one.
TAGS_FIELDS = frozenset({"tags", "updated_stamp", "safe_update"})
_INTEGERS = ("assignee_id", "group_id", "requester_id", "organization_id", "brand_id")
_ID_LISTS = ("collaborator_ids", "email_cc_ids", "follower_ids")


class Refused(Exception):
    """An answer other than success: ``status`` and Zendesk's error ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("description") or body.get("error"))
        self.status, self.body = status, body


def _undocumented(what: str, description: str) -> Refused:
    return Refused(400, {"error": "UndocumentedParameter", "description": f"{what}: {description}"})


def check_documented(fields: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    """Refuse properties and values the spec does not document.

    Raises:
        Refused: 400, naming the property.
    """
    extra = sorted(set(fields) - allowed)
    if extra:
        raise _undocumented(where, f"{', '.join(extra)} not documented for this endpoint")
    for name in _INTEGERS:
        if name in fields and (isinstance(fields[name], bool) or not isinstance(fields[name], int)):
            raise _undocumented(f"{where}.{name}", f"must be an integer, got {fields[name]!r}")
    for name in _ID_LISTS:
        value = fields.get(name)
        if name in fields and not (
            isinstance(value, list)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in value)
        ):
            raise _undocumented(f"{where}.{name}", "must be a list of user ids")
    comment = fields.get("comment")
    if isinstance(comment, dict):
        extra = sorted(set(comment) - COMMENT_FIELDS)
        if extra:
            raise _undocumented(f"{where}.comment", f"{', '.join(extra)} not documented")


def people(
    fields: dict[str, Any],
    ccs: list[int],
    followers: list[int],
    user_for: Callable[[Any], int],
    agent: Callable[[int], bool],
) -> tuple[list[int], list[int]]:
    """The ticket's email CCs and followers after ``fields`` (Zendesk's "Setting email
    CCs" and "Setting followers"): ``email_ccs``/``followers`` add (``put``, the
    default) or remove (``delete``) one user each; ``email_cc_ids``/``follower_ids``
    (create) and ``collaborator_ids`` set the lists; ``additional_collaborators`` add
    CCs. ``user_for`` finds or creates a user from an id, an email or {name, email}.
    Followers must be agents.

    Raises:
        Refused: 422 for a follower who is not an agent.
    """
    ccs, followers = list(ccs), list(followers)
    if "collaborator_ids" in fields:
        ccs = [user_for(i) for i in fields["collaborator_ids"]]
    if "email_cc_ids" in fields:
        ccs = [user_for(i) for i in fields["email_cc_ids"]]
    if "follower_ids" in fields:
        followers = [user_for(i) for i in fields["follower_ids"]]
    for entry in fields.get("additional_collaborators") or ():
        ccs.append(user_for(entry))
    for key, into in (("email_ccs", ccs), ("followers", followers)):
        for entry in fields.get(key) or ():
            if not isinstance(entry, dict):
                raise _undocumented(key, "each entry is an object with user_id or user_email")
            who = entry.get("user_id") or {"email": entry.get("user_email"),
                                           "name": entry.get("user_name")}  # fmt: skip
            user = user_for(int(who) if isinstance(who, str) and who.isdigit() else who)
            if entry.get("action", "put") == "delete":
                while user in into:
                    into.remove(user)
            else:
                into.append(user)
    for user in followers:
        if not agent(user):
            details = {"followers": [{"description": "Followers: must be agents",
                                      "error": "InvalidValue"}]}  # fmt: skip
            raise Refused(
                422,
                {"error": "RecordInvalid", "description": "Record validation errors",
                 "details": details},
            )  # fmt: skip
    return list(dict.fromkeys(ccs)), list(dict.fromkeys(followers))
