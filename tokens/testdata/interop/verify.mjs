// Verifies Grisaille tokens with the reference implementation (biscuit-wasm).
//
// stdin: a JSON array of cases {token, publicKey, code}: the token as
// base64url, the root public key as hex, and the authorizer's datalog
// (ambient facts and policies).
// stdout: a JSON array of results {allowed, error}, one per case, in order.
//
// Run with `node --experimental-wasm-modules verify.mjs` on Node 20 (the
// package is built for bundlers and imports its .wasm file as a module).
// The package is loaded from GRISAILLE_BISCUIT_WASM_DIR/node_modules when
// that variable is set, else from this directory's node_modules.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const base =
  process.env.GRISAILLE_BISCUIT_WASM_DIR ||
  dirname(fileURLToPath(import.meta.url));
const { AuthorizerBuilder, Biscuit, PublicKey, SignatureAlgorithm } =
  await import(
    pathToFileURL(
      join(base, "node_modules/@biscuit-auth/biscuit-wasm/module/biscuit.js"),
    ).href
  );

const cases = JSON.parse(readFileSync(0, "utf8"));
const results = cases.map(({ token, publicKey, code }) => {
  try {
    const root = PublicKey.fromString(publicKey, SignatureAlgorithm.Ed25519);
    const biscuit = Biscuit.fromBase64(token, root);
    const builder = new AuthorizerBuilder();
    builder.addCode(code);
    const authorizer = builder.buildAuthenticated(biscuit);
    // A generous time limit: the default (1 ms) times out on a loaded
    // machine, which would be a flaky test, not a disagreement.
    authorizer.authorizeWithLimits({ max_facts: 1000, max_iterations: 100, max_time_micro: 2_000_000 });
    return { allowed: true, error: "" };
  } catch (e) {
    return { allowed: false, error: typeof e === "string" ? e : JSON.stringify(e) ?? String(e) };
  }
});
process.stdout.write(JSON.stringify(results) + "\n");
