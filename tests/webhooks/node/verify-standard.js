// Verify one delivery with the npm `standardwebhooks` package, as a consumer would.
// stdin: {"secret": "whsec_…", "headers": {...}, "body_base64": "..."}; prints the parsed body.
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, headers, body_base64: bodyBase64 } = JSON.parse(input);
  const body = Buffer.from(bodyBase64, "base64");
  try {
    const payload = new Webhook(secret).verify(body, headers);
    process.stdout.write(JSON.stringify(payload));
  } catch (error) {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(1);
  }
});
