# X-Omniflow-Signature in any POSIX shell (sh/dash, bash, zsh): printf '%s' keeps the body's
# bytes as they are (echo -n would turn a "\n" in the JSON into a newline under sh and zsh).
# BODY: the raw request body; SIGNATURE: the X-Omniflow-Signature header (during a rotation,
# also try X-Omniflow-Signature-Previous); WEBHOOK_SECRET: the whole secret, whsec_ included.
expected=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -binary | base64)
if [ "$expected" != "$SIGNATURE" ]; then echo invalid; exit 1; fi
# Agent tool calls also sign their method and URL: set REQUEST_SIGNATURE (the
# X-Omniflow-Request-Signature header), WEBHOOK_ID, WEBHOOK_TIMESTAMP (webhook-id and
# webhook-timestamp), METHOD and URL (the full URL requested) to check them too.
if [ -n "${REQUEST_SIGNATURE:-}" ]; then
  key=$(printf '%s' "${WEBHOOK_SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  signed=$(printf '%s.%s.%s.%s.%s' "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" "$METHOD" "$URL" "$BODY" \
    | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
  if [ "v1,$signed" != "$REQUEST_SIGNATURE" ]; then echo invalid; exit 1; fi
fi
echo valid
