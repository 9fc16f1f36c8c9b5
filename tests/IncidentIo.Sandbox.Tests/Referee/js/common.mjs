// Shared by the referee scripts: read the JSON input, print one JSON result, decode JWTs.

export async function readInput() {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
  }
  return JSON.parse(text);
}

export function print(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The payload of a JWT, unverified: the tests only read claims that Microsoft's code already accepted. */
export function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/** What a library's error says about itself, whatever its shape. */
export function describeError(error) {
  return {
    name: error?.name ?? null,
    message: error?.message ?? String(error),
    errorCode: error?.errorCode ?? null,
    subError: error?.subError ?? null,
    code: error?.code ?? null,
    statusCode: error?.statusCode ?? error?.status ?? null,
    body: error?.response?.bodyAsText ?? null,
  };
}
