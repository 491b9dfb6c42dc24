"""Settings → Integrations → Agent tools (admins): tools, "Try it", OpenAPI import, the call log
and which tools each agent may call."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.generic import FormView, TemplateView

from inbox.models import Agent
from inbox.services import actor_for_user
from workspaces.access import WorkspaceAdminMixin, WorkspaceObjectMixin

from . import openapi, selectors
from .forms import (
    EXAMPLE_SCHEMA,
    AgentToolsForm,
    CallFilterForm,
    OpenAPIDocumentForm,
    OpenAPIImportForm,
    ToolForm,
    TryForm,
    sample_arguments,
    tool_initial,
)
from .models import AgentTool
from .services import (
    SECRET_CLEARED_NOTE,
    agent_tools_set,
    tool_create,
    tool_delete,
    tool_problems,
    tool_try,
    tool_update,
    tools_import_openapi,
)

RECENT_CALLS = 20
LOG_PAGE = 100


class ToolObjectMixin(WorkspaceObjectMixin):
    """Look up the URL's tool inside the current workspace; another workspace's gives 404."""

    context_object_name = "tool"
    not_found = "No such tool."

    def lookup(self) -> AgentTool:
        return selectors.tool_get(workspace=self.workspace, tool_id=self.kwargs["tool_id"])


class ToolListView(WorkspaceAdminMixin, TemplateView):
    template_name = "agenttools/tool_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tools"] = selectors.tools_for_workspace(workspace=self.workspace)
        return context


class ToolDetailView(WorkspaceAdminMixin, ToolObjectMixin, TemplateView):
    """The tool, its "Try it" form (and, after a try, what was sent and received)."""

    template_name = "agenttools/tool_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tool = self.get_object()
        context.setdefault(
            "try_form", TryForm(initial={"arguments": sample_arguments(tool.input_schema)})
        )
        context["calls"] = selectors.calls_for_log(workspace=self.workspace, tool_id=tool.pk)[
            :RECENT_CALLS
        ]
        context["agents"] = Agent.objects.filter(tool_grants__tool=tool).order_by("name")
        return context

    def post(self, request, *args, **kwargs):
        form = TryForm(request.POST)
        context = {"try_form": form}
        if form.is_valid():
            context["tried"] = tool_try(
                tool=self.get_object(),
                arguments=form.cleaned_data["arguments"],
                actor=actor_for_user(request.user),
            )
        return self.render_to_response(self.get_context_data(**context))


class ToolFormMixin:
    template_name = "agenttools/tool_form.html"
    form_class = ToolForm

    def save(self, form) -> AgentTool:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            tool = self.save(form)
        except ValidationError as error:
            # Field errors of the service land on the form's fields; the input stays.
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved “{tool.name}” (version {tool.version}).")
        if getattr(tool, "secret_cleared", False):
            messages.warning(self.request, SECRET_CLEARED_NOTE)
        return redirect(tool)

    def form_invalid(self, form):
        # The fields that parsed are checked as the service would, so that every problem
        # shows at this submit, not one after another.
        config = {name: form.cleaned_data.get(name) for name in form.fields}
        existing = getattr(self, "kwargs", {}).get("tool_id")
        has_secret = bool(existing and self.get_object().secret)
        problems = tool_problems(workspace=self.workspace, config=config, has_secret=has_secret)
        for name, messages_ in problems.items():
            if name in form.fields and name not in form.errors:
                for message in messages_:
                    form.add_error(name, message)
        return super().form_invalid(form)


class ToolCreateView(WorkspaceAdminMixin, ToolFormMixin, FormView):
    def get_initial(self):
        return {"input_schema": EXAMPLE_SCHEMA}

    def save(self, form) -> AgentTool:
        return tool_create(
            workspace=self.workspace, created_by=self.request.user, **form.cleaned_data
        )


class ToolUpdateView(WorkspaceAdminMixin, ToolObjectMixin, ToolFormMixin, FormView):
    def get_initial(self):
        return tool_initial(self.get_object())

    def save(self, form) -> AgentTool:
        changes = dict(form.cleaned_data)
        if not changes["secret"]:
            # The secret is never shown back, so an empty box keeps the current one.
            changes.pop("secret")
        return tool_update(tool=self.get_object(), **changes)


class ToolDeleteView(WorkspaceAdminMixin, ToolObjectMixin, TemplateView):
    template_name = "agenttools/tool_confirm_delete.html"

    def post(self, request, *args, **kwargs):
        tool = self.get_object()
        tool_delete(tool=tool)
        messages.success(request, f"Deleted “{tool.name}”.")
        return redirect("agenttools:agenttool-list")


class ToolImportView(WorkspaceAdminMixin, TemplateView):
    """Two steps: paste or upload a document, then pick its operations."""

    template_name = "agenttools/tool_import.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("document_form", OpenAPIDocumentForm())
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("step") != "import":
            form = OpenAPIDocumentForm(request.POST, request.FILES)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(document_form=form))
            document = form.cleaned_data["parsed"]
            pick = OpenAPIImportForm(
                document=document,
                initial={
                    "document": form.cleaned_data["document"],
                    "base_url": openapi.default_base_url(document),
                },
            )
            return self.render_to_response(self.get_context_data(import_form=pick))
        try:
            document = openapi.document_parse(request.POST.get("document", ""))
        except openapi.OpenAPIInvalid as error:
            messages.error(request, str(error))
            return redirect("agenttools:agenttool-import")
        pick = OpenAPIImportForm(request.POST, document=document)
        if not pick.is_valid():
            return self.render_to_response(self.get_context_data(import_form=pick))
        data = pick.cleaned_data
        try:
            tools, notes = tools_import_openapi(
                workspace=self.workspace,
                created_by=request.user,
                document=document,
                operation_keys=data["operations"],
                base_url=data["base_url"],
                auth=data["auth"],
                auth_header_name=data["auth_header_name"],
                secret=data["secret"],
            )
        except ValidationError as error:
            pick.add_error(None, error)
            return self.render_to_response(self.get_context_data(import_form=pick))
        messages.success(request, f"Created {', '.join(tool.name for tool in tools)}.")
        for note in notes:
            messages.warning(request, note)
        return redirect(tools[0] if len(tools) == 1 else "agenttools:agenttool-list")


class CallLogView(WorkspaceAdminMixin, TemplateView):
    template_name = "agenttools/call_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = CallFilterForm(self.request.GET or None, workspace=self.workspace)
        filters = form.cleaned_data if form.is_valid() else {}
        context["filter_form"] = form
        context["calls"] = selectors.calls_for_log(
            workspace=self.workspace,
            tool_id=filters["tool"].pk if filters.get("tool") else None,
            outcome=filters.get("outcome") or None,
            source=filters.get("source") or None,
            conversation_id=filters.get("conversation"),
        )[:LOG_PAGE]
        return context


class AgentListView(WorkspaceAdminMixin, TemplateView):
    template_name = "agenttools/agent_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agents"] = selectors.agents_with_tools(workspace=self.workspace)
        return context


class AgentToolsView(WorkspaceAdminMixin, TemplateView):
    """An agent's tools: the draft's (editable) and its published version's (as snapshotted)."""

    template_name = "agenttools/agent_detail.html"

    def get_agent(self) -> Agent:
        try:
            return selectors.agent_get(workspace=self.workspace, agent_id=self.kwargs["agent_id"])
        except Agent.DoesNotExist as error:
            raise Http404("No such agent.") from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agent = self.get_agent()
        context["agent"] = agent
        context["published_tools"] = selectors.agent_published_definitions(agent=agent)
        context.setdefault(
            "form",
            AgentToolsForm(
                workspace=self.workspace,
                initial={"tools": list(selectors.agent_draft_tools(agent=agent))},
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        agent = self.get_agent()
        form = AgentToolsForm(request.POST, workspace=self.workspace)
        if not form.is_valid():
            return render(request, self.template_name, self.get_context_data(form=form))
        agent_tools_set(agent=agent, tools=list(form.cleaned_data["tools"]))
        messages.success(request, "Saved. Publish the agent to give its next version these tools.")
        return redirect("agenttools:agenttool-agent", agent_id=agent.pk)
