/**
 * The error `p` rejects with, checked to be an instance of `type`. Throws (failing the test) when
 * `p` resolves or rejects with something else, so a test can assert on the error's fields.
 */
export async function rejection<E>(p: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const outcome = await p.then(
    (value: unknown) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected the call to fail, but it resolved with ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
  if (!(outcome.error instanceof type)) throw new Error(`expected the call to fail with ${type.name}, but it failed with ${String(outcome.error)}`);
  return outcome.error;
}
