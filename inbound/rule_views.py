"""Settings → Inbound webhooks → a trigger's rules: list, build, edit, enable, reorder, delete."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from inbox.models import RoutingRule
from inbox.services import routing_rule_create, routing_rule_delete, routing_rule_update
from workspaces.access import WorkspaceAdminMixin

from .forms import DryRunForm
from .presets import RULE_PRESETS, rule_presets
from .rule_forms import RuleBuilder
from .rules import inbound_rules_for
from .services import inbound_rule_move
from .views import TriggerObjectMixin


class RuleBuilderMixin(WorkspaceAdminMixin, TriggerObjectMixin):
    """Show the rule builder; save it when its rows hold, else show every error at once."""

    def rule(self) -> RoutingRule | None:
        return None

    def builder(self, data=None) -> RuleBuilder:
        preset = RULE_PRESETS.get(self.request.GET.get("preset", ""))
        return RuleBuilder(
            workspace=self.workspace,
            trigger=self.get_object(),
            data=data,
            rule=self.rule(),
            initial=preset["rule"] if preset and data is None else None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("builder", self.builder())
        context["editing"] = self.rule()
        return context

    def post(self, request, *args, **kwargs):
        builder = self.builder(request.POST)
        if builder.is_valid():
            try:
                rule = self.save(builder.rule_fields())
            except ValidationError as error:
                builder.form.add_error(None, error.messages)
            else:
                messages.success(request, f"Saved the rule “{rule.name}”.")
                return redirect("inbound:trigger-rules", trigger_id=self.get_object().pk)
        return self.render_to_response(self.get_context_data(builder=builder))


class TriggerRulesView(RuleBuilderMixin, TemplateView):
    """The rules this trigger's events fire, in order, and the builder (a preset fills it)."""

    template_name = "inbound/trigger_rules.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Active or not, the rules this trigger names; rules for every trigger show on each.
        context["rules"] = list(inbound_rules_for(trigger=self.get_object(), active_only=False))
        context["presets"] = rule_presets()
        context["dry_run_form"] = DryRunForm()
        return context

    def save(self, fields: dict) -> RoutingRule:
        rules = inbound_rules_for(trigger=self.get_object(), active_only=False)
        last = max((rule.position for rule in rules), default=-1)
        return routing_rule_create(
            workspace=self.workspace,
            trigger=RoutingRule.Trigger.INBOUND,
            inbound_trigger=self.get_object(),
            position=last + 1,
            **fields,
        )


class RuleObjectMixin:
    """The URL's rule, one this trigger fires (another's, or another workspace's, is 404)."""

    def rule(self) -> RoutingRule:
        if not hasattr(self, "_rule"):
            rules = inbound_rules_for(trigger=self.get_object(), active_only=False)
            self._rule = get_object_or_404(rules, pk=self.kwargs["rule_id"])
        return self._rule


class RuleEditView(RuleObjectMixin, RuleBuilderMixin, TemplateView):
    template_name = "inbound/rule_form.html"

    def save(self, fields: dict) -> RoutingRule:
        return routing_rule_update(rule=self.rule(), **fields)


class RuleDeleteView(RuleObjectMixin, WorkspaceAdminMixin, TriggerObjectMixin, TemplateView):
    template_name = "inbound/rule_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rule=self.rule(), **kwargs)

    def post(self, request, *args, **kwargs):
        rule = self.rule()
        routing_rule_delete(rule=rule)
        messages.success(request, f"Deleted the rule “{rule.name}”.")
        return redirect("inbound:trigger-rules", trigger_id=self.get_object().pk)


class RuleToggleView(RuleObjectMixin, WorkspaceAdminMixin, TriggerObjectMixin, View):
    """Enable or disable a rule (a POST from the rules list)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        rule = routing_rule_update(rule=self.rule(), is_active=not self.rule().is_active)
        state = "enabled" if rule.is_active else "disabled: it no longer fires"
        messages.success(request, f"The rule “{rule.name}” is {state}.")
        return redirect("inbound:trigger-rules", trigger_id=self.get_object().pk)


class RuleMoveView(RuleObjectMixin, WorkspaceAdminMixin, TriggerObjectMixin, View):
    """Move a rule one place up or down in the order the trigger's rules run."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        offset = -1 if request.POST.get("direction") == "up" else 1
        inbound_rule_move(trigger=self.get_object(), rule=self.rule(), offset=offset)
        return redirect("inbound:trigger-rules", trigger_id=self.get_object().pk)
