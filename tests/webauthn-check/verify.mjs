// Verifies the cases a C# test wrote (its software authenticator's output) with @simplewebauthn/server, a WebAuthn
// verifier written independently of Sentinel and of Fido2, and prints one result per case as JSON.
// Usage: node verify.mjs cases.json
import { readFileSync } from 'node:fs';
import { verifyRegistrationResponse, verifyAuthenticationResponse } from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const c of cases) {
  try {
    if (c.kind === 'registration') {
      const r = await verifyRegistrationResponse({
        response: c.response,
        expectedChallenge: c.challenge,
        expectedOrigin: c.origin,
        expectedRPID: c.rpId,
        requireUserVerification: true,
      });
      results.push({
        name: c.name,
        verified: r.verified,
        fmt: r.registrationInfo?.fmt,
        credentialId: r.registrationInfo?.credential.id,
        publicKey: r.registrationInfo ? isoBase64URL.fromBuffer(r.registrationInfo.credential.publicKey) : undefined,
        counter: r.registrationInfo?.credential.counter,
        backedUp: r.registrationInfo?.credentialBackedUp,
      });
    } else {
      const r = await verifyAuthenticationResponse({
        response: c.response,
        expectedChallenge: c.challenge,
        expectedOrigin: c.origin,
        expectedRPID: c.rpId,
        credential: { id: c.credentialId, publicKey: isoBase64URL.toBuffer(c.publicKey), counter: c.counter },
        requireUserVerification: true,
      });
      results.push({ name: c.name, verified: r.verified, counter: r.authenticationInfo?.newCounter });
    }
  } catch (e) {
    results.push({ name: c.name, verified: false, error: String(e?.message ?? e) });
  }
}
console.log(JSON.stringify(results));
