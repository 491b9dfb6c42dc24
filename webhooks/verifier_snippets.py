"""The signature verifiers consumers copy: the files in webhooks/verifiers/ (the README shows the
same code, and tests run it), introduced with a given endpoint's details for its page."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

_FILES = Path(__file__).parent / "verifiers"


@dataclass(frozen=True)
class Snippet:
    language: str
    code: str


@cache
def verifier_source(name: str) -> str:
    return (_FILES / name).read_text()


def verifier_snippets(*, endpoint_url: str, masked_secret: str) -> list[Snippet]:
    """Return the shell, Python and Node verifiers, headed with this endpoint's details."""
    secret = masked_secret or "(none: requests to it go unsigned)"
    about = f"Omniflow endpoint {endpoint_url}, secret {secret} (reveal it above)"
    return [
        Snippet(
            "Shell (X-Omniflow-Signature)",
            f"# {about}\nWEBHOOK_SECRET='{masked_secret or 'whsec_…'}'  # the full secret\n"
            + verifier_source("verify.sh"),
        ),
        Snippet(
            "Python (both headers)",
            f"# {about}\n" + verifier_source("verify.py") + "\n\n# In your view: "
            "verify_standard(WEBHOOK_SECRET, request.headers, request.body)\n",
        ),
        Snippet(
            "Node (both headers)",
            f"// {about}\n" + verifier_source("verify.js") + "\n// In your handler: "
            "verifyStandard(process.env.WEBHOOK_SECRET, req.headers, req.body)\n",
        ),
    ]
