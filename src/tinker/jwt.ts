// Short-lived tokens for the API key exchange the Tinker SDK performs when a service's client
// config sets pjwt_auth_enabled: POST /api/v1/auth/token with the long-lived key returns a JWT,
// which every later request carries as X-API-Key until it expires. Signed with HMAC-SHA256 by a
// key of the server process (HS256). Pure but for the clock, which comes in.
import { createHmac, timingSafeEqual } from "node:crypto";

const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");

export function issueJwt(key: Buffer, nowS: number, ttlS: number): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify({ sub: "wz-tinker", iat: nowS, exp: nowS + ttlS }));
  const sig = createHmac("sha256", key).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** "ok", or why the token is refused: "expired" or "invalid". */
export function checkJwt(key: Buffer, token: string, nowS: number): "ok" | "expired" | "invalid" {
  const parts = token.split(".");
  if (parts.length !== 3) return "invalid";
  const want = Buffer.from(createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest("base64url"));
  const got = Buffer.from(parts[2]);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return "invalid";
  try {
    const { exp } = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp: number };
    return typeof exp === "number" && exp > nowS ? "ok" : "expired";
  } catch {
    return "invalid";
  }
}

/** The seconds until a JWT's exp claim (no signature check: a client reading its own token). */
export function jwtSecondsLeft(token: string, nowS: number): number {
  try {
    const { exp } = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as {
      exp: number;
    };
    return exp - nowS;
  } catch {
    return 0;
  }
}
