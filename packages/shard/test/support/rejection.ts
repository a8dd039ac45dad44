/** Awaits a promise that must reject and returns what it rejected with; fails the test if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected a rejection');
}
