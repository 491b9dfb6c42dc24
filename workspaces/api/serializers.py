from rest_framework import serializers

from ..models import Invitation, Membership


class MemberRepresentation(serializers.ModelSerializer):
    # One id for a person everywhere in the API: the user id every `assignee` field takes
    # (a membership's own id would coincide with other people's user ids across workspaces).
    id = serializers.IntegerField(
        source="user_id",
        help_text="The member's user id: what `assignee` fields take and `/members/{id}` reads.",
    )
    email = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "created_at"]

    def get_email(self, membership: Membership) -> str:
        return membership.user.email or membership.user.get_username()


class InvitationRepresentation(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=["invited", "expired"],
        read_only=True,
        help_text="`invited` until the person accepts the emailed link; `expired` after it.",
    )

    class Meta:
        model = Invitation
        fields = [
            *("id", "email", "role", "status", "created_at", "sent_at", "send_count"),
            "expires_at",
        ]


class MemberCreateInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    # The length is AUTH_PASSWORD_VALIDATORS' minimum, stated as a pattern (the schema adds ""
    # beside it: no password); a common password is refused by its validator with 422. Spaces
    # are kept, as Django's forms keep them.
    password = serializers.RegexField(
        r"^[\s\S]{8,}$",
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=128,
        trim_whitespace=False,
        error_messages={
            "invalid": "This password is too short. It must contain at least 8 characters."
        },
        help_text=(
            "For a new account only: it joins at once. Leave out to email an invitation (the "
            "person accepts it with their own account, or sets their own password)."
        ),
    )


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=Membership.Role.choices, required=False, help_text="Left out: unchanged."
    )
