from rest_framework import serializers

from ..models import Invitation, Membership


class MemberRepresentation(serializers.ModelSerializer):
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
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=128,
        help_text=(
            "For a new account only: it joins at once. Leave out to email an invitation (the "
            "person accepts it with their own account, or sets their own password)."
        ),
    )


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)
