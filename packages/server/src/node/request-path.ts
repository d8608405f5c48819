/**
 * The path of a request's target, or `null` when the target is not one (`//[`, `http://[::`…).
 * Never throws: one hostile request line must not reach the process's uncaught-exception handler.
 */
export function requestPath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://x').pathname;
  } catch {
    return null;
  }
}
