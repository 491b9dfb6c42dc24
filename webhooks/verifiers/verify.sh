# X-Omniflow-Signature in any POSIX shell (sh/dash, bash, zsh): printf '%s' keeps the body's
# bytes as they are (echo -n would turn a "\n" in the JSON into a newline under sh and zsh).
# BODY: the raw request body; SIGNATURE: the X-Omniflow-Signature header (during a rotation,
# also try X-Omniflow-Signature-Previous); WEBHOOK_SECRET: the whole secret, whsec_ included.
expected=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -binary | base64)
if [ "$expected" = "$SIGNATURE" ]; then echo valid; else echo invalid; exit 1; fi
