/**
 * Waits for the promises to settle, or for `ms`, whichever comes first; true when they all
 * settled. Shutdown uses it so work that never ends (a provider holding its answer back, an
 * executor ignoring its abort) cannot hold the process up.
 */
export async function settledWithin (promises: Iterable<Promise<unknown>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const settled = await Promise.race([
    Promise.allSettled(promises).then(() => true),
    new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  ])
  clearTimeout(timer)
  return settled
}
