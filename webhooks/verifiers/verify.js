const crypto = require("node:crypto");

const TOLERANCE_SECONDS = 5 * 60; // refuse requests signed longer ago (or ahead) than this

function fresh(timestamp) {
  const seconds = Number(timestamp);
  return Number.isInteger(seconds) && Math.abs(Date.now() / 1000 - seconds) <= TOLERANCE_SECONDS;
}

function same(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y); // constant time
}

// webhook-signature (Standard Webhooks). headers: Node's req.headers (lower-case names);
// body: the raw request body as a Buffer (e.g. express.raw({ type: "application/json" })).
function verifyStandard(secret, headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (!fresh(timestamp)) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64"); // the bytes after whsec_
  const expected = crypto
    .createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest("base64");
  return (headers["webhook-signature"] || "")
    .split(" ")
    .some((signature) => signature.startsWith("v1,") && same(signature.slice(3), expected));
}

// X-Omniflow-Signature: HMAC-SHA256 of the raw body, keyed with the whole secret string.
function verifyOmniflow(secret, headers, body) {
  if (!fresh(headers["x-omniflow-timestamp"])) return false;
  const expected = crypto.createHmac("sha256", secret).update(body).digest("base64");
  const candidates = [headers["x-omniflow-signature"], headers["x-omniflow-signature-previous"]];
  return candidates.some((signature) => signature && same(signature, expected));
}
