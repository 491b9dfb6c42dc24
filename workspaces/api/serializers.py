from rest_framework import serializers

from ..models import Membership


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


class MemberCreatedRepresentation(MemberRepresentation):
    set_password_url = serializers.URLField(
        allow_null=True,
        help_text=(
            "A one-time link where a new person without a password sets one; shown in this "
            "response only. Null when a password was given or the person already has an account."
        ),
    )

    class Meta(MemberRepresentation.Meta):
        fields = [*MemberRepresentation.Meta.fields, "set_password_url"]


class MemberCreateInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=128,
        help_text="Leave out to get a one-time set-password link instead.",
    )


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=Membership.Role.choices, required=False, help_text="Left out: unchanged."
    )
