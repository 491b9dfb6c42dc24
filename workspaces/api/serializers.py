from rest_framework import serializers

from ..models import Membership


class MemberRepresentation(serializers.ModelSerializer):
    email = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "created_at"]

    def get_email(self, membership: Membership) -> str:
        return membership.user.email or membership.user.get_username()
