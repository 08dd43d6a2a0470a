/** The error `f` throws synchronously (fails the test when it throws nothing). */
export function thrown(f: () => unknown): any {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

/** The reason `p` rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
