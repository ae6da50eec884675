/**
 * Whether a URL's host is this machine: the only place a secret-bearing
 * client may speak plain http (the tests' stand-ins).
 */
export function isLoopback(hostname: string): boolean {
  return /^127(?:\.\d{1,3}){3}$/.test(hostname) || hostname === "[::1]" || hostname.toLowerCase() === "localhost";
}

/** https anywhere, or http to a loopback address. */
export function isSecureOrLoopback(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  } catch {
    return false;
  }
}
