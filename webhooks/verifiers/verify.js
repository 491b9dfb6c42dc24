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

function signed(secret, ...parts) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64"); // the bytes after whsec_
  const hmac = crypto.createHmac("sha256", key);
  parts.forEach((part) => hmac.update(part));
  return hmac.digest("base64");
}

// webhook-signature (Standard Webhooks). headers: Node's req.headers (lower-case names);
// body: the raw request body as a Buffer (e.g. express.raw({ type: "application/json" })).
function verifyStandard(secret, headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (!fresh(timestamp)) return false;
  const expected = signed(secret, `${id}.${timestamp}.`, body);
  return (headers["webhook-signature"] || "")
    .split(" ")
    .some((signature) => signature.startsWith("v1,") && same(signature.slice(3), expected));
}

// An agent tool call: webhook-signature, and X-Omniflow-Request-Signature over
// "{id}.{timestamp}.{METHOD}.{URL}.{body}" (url: the full URL requested, query included).
function verifyToolCall(secret, method, url, headers, body) {
  if (!verifyStandard(secret, headers, body)) return false;
  const prefix = `${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`;
  const expected = signed(secret, `${prefix}${method.toUpperCase()}.${url}.`, body);
  const given = headers["x-omniflow-request-signature"] || "";
  return given.startsWith("v1,") && same(given.slice(3), expected);
}

// X-Omniflow-Signature: HMAC-SHA256 of the raw body, keyed with the whole secret string.
function verifyOmniflow(secret, headers, body) {
  if (!fresh(headers["x-omniflow-timestamp"])) return false;
  const expected = crypto.createHmac("sha256", secret).update(body).digest("base64");
  const candidates = [headers["x-omniflow-signature"], headers["x-omniflow-signature-previous"]];
  return candidates.some((signature) => signature && same(signature, expected));
}
