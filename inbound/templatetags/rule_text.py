"""Template filters over inbound/rule_text.py: `{{ condition|condition_text }}` and the like."""

from django import template

from inbound import rule_text

register = template.Library()
register.filter("condition_text", rule_text.condition_text)
register.filter("action_text", rule_text.action_text)
register.filter("facts_text", rule_text.facts_text)
register.filter("change_text", rule_text.change_text)
