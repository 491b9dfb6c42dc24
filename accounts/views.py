"""The login page, throttled per account and per client IP, with every attempt audited."""

from django.conf import settings
from django.contrib.auth import views as auth_views

from omniflow.ratelimits import Usage, client_ip, count, parse_rates

from .models import LoginEvent
from .services import login_event_record

ACCOUNT_GROUP = "accounts.login.account"
IP_GROUP = "accounts.login.ip"


def _failures(request, *, username: str, increment: bool) -> list[Usage]:
    """Return where the failure counters of this account and this client IP stand."""
    counters = [
        (ACCOUNT_GROUP, username.strip().lower(), settings.OMNIFLOW_LOGIN_ACCOUNT_RATE),
        (IP_GROUP, client_ip(request), settings.OMNIFLOW_LOGIN_IP_RATE),
    ]
    return [
        count(group=group, value=value, rates=parse_rates(rate), increment=increment)
        for group, value, rate in counters
    ]


class LoginView(auth_views.LoginView):
    """Django's login view; after too many failures for an account or from an IP, 429.

    Only failures count, so a user who logs in now and then is never slowed down. Once a limit
    is used up even the right password is refused until the window resets: otherwise a guesser
    would learn the password at the moment it is right.
    """

    def post(self, request, *args, **kwargs):
        self.username = request.POST.get("username", "")
        blocked = [
            usage
            for usage in _failures(request, username=self.username, increment=False)
            if usage.blocked
        ]
        if blocked:
            self._audit(LoginEvent.Outcome.THROTTLED)
            retry_after = max(usage.retry_after for usage in blocked)
            # Unbound: a bound form would check the password, which is what is refused here.
            form = self.form_class(request=request, initial={"username": self.username})
            message = (
                "Too many failed log-ins for this account or from this address. "
                f"Try again in {-(-retry_after // 60)} minute(s)."
            )
            response = self.render_to_response(
                self.get_context_data(form=form, throttled=message), status=429
            )
            response["Retry-After"] = str(retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        self._audit(LoginEvent.Outcome.SUCCEEDED, user=form.get_user())
        return response

    def form_invalid(self, form):
        _failures(self.request, username=self.username, increment=True)
        self._audit(LoginEvent.Outcome.FAILED)
        return super().form_invalid(form)

    def _audit(self, outcome: LoginEvent.Outcome, user=None) -> None:
        login_event_record(
            username=self.username,
            outcome=outcome,
            ip=client_ip(self.request),
            user_agent=self.request.META.get("HTTP_USER_AGENT", ""),
            user=user,
        )
